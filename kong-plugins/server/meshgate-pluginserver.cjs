#!/usr/bin/env node
// meshgate's plugin server start command: kong-pdk's own `kong-js-pluginserver` (same modules, same flags,
// same output), with one fix. kong-pdk forgets an event only when "ret" passes through Step, but after
// kong.response.exit/error Kong never sends another Step for that event — so every rejected request (401,
// 429, ...) leaves its event, pipe and suspended handler in `server.events` for ever. This wrapper deletes the
// event as soon as it hands Kong a `kong.response.exit`/`kong.response.error` call, and also drops events
// Kong abandoned otherwise (a PDK call that raised in Kong ends the event without a Step too) once they have
// waited for a Step longer than MESHGATE_ABANDONED_EVENT_TTL_MS (default 60000, Kong's RPC read timeout).
//
// kong.conf:
//   pluginserver_meshgate_start_cmd = /usr/local/bin/meshgate-pluginserver --plugins-directory <dir> --sock-name meshgate_pluginserver.sock
//   pluginserver_meshgate_query_cmd = /usr/local/bin/meshgate-pluginserver --plugins-directory <dir> --dump-all-plugins
// kong-pdk is found next to this file, in the global node_modules, or at MESHGATE_KONG_PDK_DIR.
'use strict'

const path = require('path')
const { createRequire } = require('module')

const EXIT_METHODS = new Set(['kong.response.exit', 'kong.response.error'])
const MSG_RET = 'ret'

function findKongPdk() {
  const candidates = [
    process.env.MESHGATE_KONG_PDK_DIR,
    __dirname,
    process.cwd(),
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules'),
  ].filter(Boolean)
  for (const base of candidates) {
    try {
      return path.dirname(require.resolve('kong-pdk/server.js', { paths: [base] }))
    } catch (err) {
      try {
        return path.dirname(require.resolve(path.join(base, 'server.js')))
      } catch (err2) {
        // try the next place
      }
    }
  }
  process.stderr.write('meshgate-pluginserver: cannot find the kong-pdk package (set MESHGATE_KONG_PDK_DIR)\n')
  process.exit(127)
}

const pdkDir = findKongPdk()
const pdkRequire = createRequire(path.join(pdkDir, 'server.js'))
const cli = pdkRequire('./cli')
const Server = pdkRequire('./server')
const Listener = pdkRequire('./listener')
const msgpack = pdkRequire('@msgpack/msgpack')
const logger = pdkRequire('node-color-log')

function abandonedEventTtlMs() {
  const raw = process.env.MESHGATE_ABANDONED_EVENT_TTL_MS
  const ttl = raw === undefined ? 60000 : Number(raw)
  return Number.isFinite(ttl) && ttl > 0 ? ttl : 60000
}

class ExitReleasingServer extends Server {
  constructor(pluginDir, log, expireTtl) {
    super(pluginDir, log, expireTtl)
    this.waitingSince = new Map()
    this.abandonedTtlMs = abandonedEventTtlMs()
    this.sweepTimer = null
  }

  async HandleEvent(event) {
    return this.release(await super.HandleEvent(event))
  }

  async step(data, isError) {
    return this.release(await super.step(data, isError))
  }

  // The returned value goes to Kong as the RPC result; decide here whether Kong will ever Step this event again.
  release(result) {
    const eid = result && result.EventId
    const data = result && result.Data
    if (data === MSG_RET || (data && EXIT_METHODS.has(data.Method))) {
      this.events.delete(eid)
      this.waitingSince.delete(eid)
    } else {
      this.waitingSince.set(eid, Date.now())
      this.startSweeping()
    }
    return result
  }

  startSweeping() {
    if (this.sweepTimer) return
    const every = Math.min(this.abandonedTtlMs, 10000)
    this.sweepTimer = setInterval(() => this.sweepAbandoned(), every)
    this.sweepTimer.unref()
  }

  sweepAbandoned() {
    const deadline = Date.now() - this.abandonedTtlMs
    for (const [eid, since] of this.waitingSince) {
      if (since > deadline) continue
      this.waitingSince.delete(eid)
      if (this.events.delete(eid)) this.logger.warn(`dropped event #${eid}: no Step from Kong for ${this.abandonedTtlMs} ms`)
    }
  }
}

// From here on this mirrors kong-pdk's bin/kong-js-pluginserver, with ExitReleasingServer in place of Server.
const opts = cli.parse()
logger.setLevel(opts.logLevel)

const ps = new ExitReleasingServer(opts.pluginsDirectory, logger)
if (opts.DumpPluginInfo) {
  ps.GetPluginInfo(opts.DumpPluginInfo).then((v) => {
    process.stdout.write(msgpack.encode(v))
  })
} else if (opts.DumpAllPlugins) {
  Promise.all(Array.from(ps.getPlugins().keys(), (plugin) => ps.GetPluginInfo(plugin))).then((values) => {
    console.log(JSON.stringify(values))
  })
} else {
  const listener = new Listener(ps, path.join(opts.kongPrefix, opts.sockName))
  listener.serve()
}

// kong-pdk's bin calls close() here too, which also stops the idle-instance expiry timer: keep that behaviour.
ps.close()
