// Preloaded into the plugin server by the Kong benchmark (NODE_OPTIONS="--expose-gc --require ..."): on SIGUSR2
// collect garbage twice and print a marker, so RSS is read after a full GC without any RPC or plugin code.
'use strict'
let seq = 0
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') { global.gc(); global.gc() }
  seq += 1
  process.stdout.write(`[meshgate-bench-gc] seq=${seq} rss=${process.memoryUsage().rss}\n`)
})
