// The baseline for the throughput ratio: a plugin whose access phase does nothing, so every request still
// costs what any external plugin costs (one HandleEvent round trip) and nothing more.
'use strict'
class Plugin {
  async access() {}
}
module.exports = { Plugin, Name: 'empty', Schema: [], Version: '0.0.0', Priority: 1000 }
