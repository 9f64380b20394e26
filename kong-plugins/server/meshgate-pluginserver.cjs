#!/usr/bin/env node
// meshgate's plugin server start command: kong-pdk's own `kong-js-pluginserver` (same modules, same flags,
// same --dump-all-plugins output), with fixes for four ways the stock server lets Kong proxy a request that
// the plugin never saw (Kong fails OPEN whenever the plugin server is gone or an RPC fails):
//
// 1. Exit-event leak. kong-pdk forgets an event only when "ret" passes through Step, but after
//    kong.response.exit/error Kong never sends another Step for that event — so every rejected request (401,
//    429, ...) leaves its event, pipe and suspended handler in `server.events` for ever. This server deletes the
//    event as soon as it hands Kong a `kong.response.exit`/`kong.response.error` call, and drops events Kong
//    abandoned otherwise (a PDK call that raised in Kong ends the event without a Step too) once they have
//    waited for a Step longer than MESHGATE_ABANDONED_EVENT_TTL_MS (default 60000, Kong's RPC read timeout).
// 2. A map key "__proto__" crashes the process. @msgpack/msgpack refuses to decode it and kong-pdk's listener
//    throws from its socket handler, so one client header named `__proto__` (accepted when nginx runs with
//    underscores_in_headers on) kills the server and, until Kong respawns it, every request is proxied
//    unauthenticated. Here such a key reaches the plugin as `__proto_:` (same length, not a valid header name).
// 3. A socket error (EPIPE/ECONNRESET when a Kong worker went away mid-call) had no handler and crashed the
//    process as well. Here it closes that connection only.
// 4. A burst of requests fails open. Kong opens one unix-socket connection per RPC in flight (mp_rpc.lua's
//    `ngx.socket.connect` has no pool backlog; only idle ones are kept, lua_socket_pool_size), and Linux answers
//    a connect to a unix socket whose accept queue is full with EAGAIN, which Kong logs ("trying to connect")
//    and then proxies the request without the plugin. kong-pdk listens with Node's default queue of 511; this
//    server asks for LISTEN_BACKLOG, like Kong's own proxy_listen (the kernel caps it at net.core.somaxconn).
//
// And one way the plugin would judge other bytes than nginx forwards: Kong sends request header names and values
// and the path as msgpack `str` holding the client's raw bytes, and @msgpack/msgpack decodes `str` as UTF-8
// leniently (overlong `C1 B3` becomes `s`, invalid bytes become U+FFFD). Here the answers to `kong.request.*`
// calls reach the plugin as byte strings instead — one character per byte, lossless — which is how the policy
// core reads request bytes on both planes. Everything else (config, other PDK answers) decodes as before.
//
// kong.conf:
//   pluginserver_meshgate_start_cmd = /usr/local/bin/meshgate-pluginserver --plugins-directory <dir> --sock-name meshgate_pluginserver.sock
//   pluginserver_meshgate_query_cmd = /usr/local/bin/meshgate-pluginserver --plugins-directory <dir> --dump-all-plugins
// kong-pdk is found next to this file, in the global node_modules, or at MESHGATE_KONG_PDK_DIR.
'use strict'

const fs = require('fs')
const net = require('net')
const path = require('path')
const { createRequire } = require('module')

const LISTEN_BACKLOG = 16384
const EXIT_METHODS = new Set(['kong.response.exit', 'kong.response.error'])
const MSG_RET = 'ret'
// PDK calls whose answers are the client's request bytes (headers, path, query, method): delivered as byte strings.
const REQUEST_BYTES_PREFIX = 'kong.request.'
const STEP_RESULTS = new Set(['Step', 'StepMultiMap'])

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
    // Event id → the PDK method the plugin is waiting on (what Kong's next Step for that event answers).
    this.awaitedMethod = new Map()
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
      this.awaitedMethod.delete(eid)
    } else {
      this.waitingSince.set(eid, Date.now())
      if (data && typeof data.Method === 'string') this.awaitedMethod.set(eid, data.Method)
      else this.awaitedMethod.delete(eid)
      this.startSweeping()
    }
    return result
  }

  // Whether Kong's next Step for this event carries the client's request bytes.
  awaitsRequestBytes(eid) {
    const method = this.awaitedMethod.get(eid)
    return method !== undefined && method.startsWith(REQUEST_BYTES_PREFIX)
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
      this.awaitedMethod.delete(eid)
      if (this.events.delete(eid)) this.logger.warn(`dropped event #${eid}: no Step from Kong for ${this.abandonedTtlMs} ms`)
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The socket side: Kong's MessagePack-RPC (`[0, msgid, "plugin.<Method>", [arg]]` → `[1, msgid, error, result]`,
// one message in flight per connection), answered by the server's RPC methods like kong-pdk's listener does.

const RPC_METHODS = new Set([
  'StartInstance', 'CloseInstance', 'HandleEvent', 'InstanceStatus', 'GetStatus', 'GetPluginInfo', 'SetPluginDir',
  'Step', 'StepError', 'StepMultiMap', 'StepService', 'StepConsumer', 'StepRoute', 'StepPlugin', 'StepCredential',
  'StepMemoryStats',
])
const PROTO_KEY = Buffer.from('__proto__')
const PROTO_STANDIN = Buffer.from('__proto_:')
const MAX_NESTING = 64
// Kong's largest message is a Step carrying a PDK result (a request body at most); a frame still incomplete
// beyond this is not Kong talking.
const MAX_PENDING_BYTES = 64 * 1024 * 1024
const INCOMPLETE = -1

// Offset just past the MessagePack value starting at `pos`, or INCOMPLETE when the buffer ends first. Rewrites
// map keys spelled "__proto__" to PROTO_STANDIN in place. Throws on bytes that are not MessagePack.
function scanValue(buf, pos, depth) {
  if (pos >= buf.length) return INCOMPLETE
  if (depth > MAX_NESTING) throw new Error('MessagePack nesting deeper than ' + MAX_NESTING)
  const b = buf[pos]
  if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return pos + 1
  if (b >= 0xa0 && b <= 0xbf) return pos + 1 + (b & 0x1f)
  if (b >= 0x90 && b <= 0x9f) return scanItems(buf, pos + 1, b & 0x0f, false, depth)
  if (b >= 0x80 && b <= 0x8f) return scanItems(buf, pos + 1, b & 0x0f, true, depth)
  switch (b) {
    case 0xc4: case 0xd9: return sized(buf, pos, 1, 0)
    case 0xc5: case 0xda: return sized(buf, pos, 2, 0)
    case 0xc6: case 0xdb: return sized(buf, pos, 4, 0)
    case 0xc7: return sized(buf, pos, 1, 1)
    case 0xc8: return sized(buf, pos, 2, 1)
    case 0xc9: return sized(buf, pos, 4, 1)
    case 0xcc: case 0xd0: return pos + 2
    case 0xcd: case 0xd1: case 0xd4: return pos + 3
    case 0xd5: return pos + 4
    case 0xca: case 0xce: case 0xd2: return pos + 5
    case 0xd6: return pos + 6
    case 0xcb: case 0xcf: case 0xd3: return pos + 9
    case 0xd7: return pos + 10
    case 0xd8: return pos + 18
    case 0xdc: return counted(buf, pos, 2, false, depth)
    case 0xdd: return counted(buf, pos, 4, false, depth)
    case 0xde: return counted(buf, pos, 2, true, depth)
    case 0xdf: return counted(buf, pos, 4, true, depth)
  }
  throw new Error('not MessagePack: byte 0x' + b.toString(16) + ' at ' + pos)
}

function readLength(buf, at, width) {
  if (at + width > buf.length) return INCOMPLETE
  return width === 1 ? buf[at] : width === 2 ? buf.readUInt16BE(at) : buf.readUInt32BE(at)
}

function sized(buf, pos, width, typeBytes) {
  const length = readLength(buf, pos + 1, width)
  return length === INCOMPLETE ? INCOMPLETE : pos + 1 + width + typeBytes + length
}

function counted(buf, pos, width, isMap, depth) {
  const count = readLength(buf, pos + 1, width)
  return count === INCOMPLETE ? INCOMPLETE : scanItems(buf, pos + 1 + width, count, isMap, depth)
}

function scanItems(buf, pos, count, isMap, depth) {
  const items = isMap ? count * 2 : count
  for (let i = 0; i < items; i++) {
    if (isMap && i % 2 === 0) renameProtoKey(buf, pos)
    pos = scanValue(buf, pos, depth + 1)
    if (pos === INCOMPLETE || pos > buf.length) return INCOMPLETE
  }
  return pos
}

function renameProtoKey(buf, pos) {
  let start = -1
  if (buf[pos] === 0xa9) start = pos + 1
  else if (buf[pos] === 0xd9 && buf[pos + 1] === 9) start = pos + 2
  if (start < 0 || start + 9 > buf.length) return
  if (buf.compare(PROTO_KEY, 0, 9, start, start + 9) === 0) PROTO_STANDIN.copy(buf, start)
}

// The frame with every `str` that holds a byte above 0x7F rewritten so that decoding it as UTF-8 gives the byte
// string (each byte one character): byte b ≥ 0x80 becomes the two UTF-8 bytes of U+00b. Null when no `str` needs
// it (ASCII decodes to itself). The frame is complete and its `__proto__` keys already renamed.
function byteStringFrame(frame) {
  const out = []
  let changed = false
  function walk(pos, depth) {
    const b = frame[pos]
    let count = -1
    let head = 1
    let isMap = false
    if (b >= 0x90 && b <= 0x9f) count = b & 0x0f
    else if (b >= 0x80 && b <= 0x8f) { count = b & 0x0f; isMap = true }
    else if (b === 0xdc || b === 0xde) { count = frame.readUInt16BE(pos + 1); head = 3; isMap = b === 0xde }
    else if (b === 0xdd || b === 0xdf) { count = frame.readUInt32BE(pos + 1); head = 5; isMap = b === 0xdf }
    if (count >= 0) {
      out.push(frame.subarray(pos, pos + head))
      pos += head
      for (let i = 0; i < (isMap ? 2 * count : count); i++) pos = walk(pos, depth + 1)
      return pos
    }
    const end = scanValue(frame, pos, depth)
    const start = b >= 0xa0 && b <= 0xbf ? pos + 1 : b === 0xd9 ? pos + 2 : b === 0xda ? pos + 3 : b === 0xdb ? pos + 5 : -1
    if (start >= 0 && hasHighByte(frame, start, end)) {
      const widened = Buffer.from(frame.toString('latin1', start, end), 'utf8')
      out.push(strHeader(widened.length), widened)
      changed = true
    } else {
      out.push(frame.subarray(pos, end))
    }
    return end
  }
  walk(0, 0)
  return changed ? Buffer.concat(out) : null
}

function hasHighByte(buf, start, end) {
  for (let i = start; i < end; i++) if (buf[i] >= 0x80) return true
  return false
}

function strHeader(length) {
  if (length < 32) return Buffer.from([0xa0 | length])
  if (length < 0x100) return Buffer.from([0xd9, length])
  const head = Buffer.alloc(length < 0x10000 ? 3 : 5)
  head[0] = length < 0x10000 ? 0xda : 0xdb
  if (length < 0x10000) head.writeUInt16BE(length, 1)
  else head.writeUInt32BE(length, 1)
  return head
}

class Connection {
  constructor(socket, rpcServer, log, debug) {
    this.socket = socket
    this.rpcServer = rpcServer
    this.log = log
    this.debug = debug
    this.encoder = new msgpack.Encoder()
    this.decoder = new msgpack.Decoder()
    this.pending = null
    socket.on('data', (chunk) => this.receive(chunk))
    // A Kong worker that went away (reload, RPC timeout) must cost this connection, not the process.
    socket.on('error', (err) => this.log.warn('plugin socket: ' + err.message))
  }

  receive(chunk) {
    let buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk])
    this.pending = null
    while (buf.length > 0) {
      let end
      try {
        end = scanValue(buf, 0, 0)
      } catch (err) {
        this.log.error('plugin socket: undecodable RPC from Kong (' + err.message + '); closing the connection')
        this.socket.destroy()
        return
      }
      if (end === INCOMPLETE || end > buf.length) {
        if (buf.length > MAX_PENDING_BYTES) {
          this.log.error('plugin socket: RPC frame larger than ' + MAX_PENDING_BYTES + ' bytes; closing the connection')
          this.socket.destroy()
          return
        }
        this.pending = buf
        return
      }
      this.dispatch(buf.subarray(0, end))
      buf = buf.subarray(end)
    }
  }

  dispatch(frame) {
    let message
    try {
      message = this.decoder.decode(frame)
    } catch (err) {
      this.log.error('plugin socket: undecodable RPC from Kong (' + err.message + '); closing the connection')
      this.socket.destroy()
      return
    }
    if (!Array.isArray(message) || message[0] !== 0 || typeof message[2] !== 'string') {
      this.log.error('plugin socket: not an RPC request; ignored')
      return
    }
    const [ns, cmd] = message[2].split('.')
    if (STEP_RESULTS.has(cmd)) message = this.withRequestBytes(frame, message)
    const msgid = message[1]
    const args = Array.isArray(message[3]) ? message[3] : []
    if (ns !== 'plugin') return this.reply(msgid, 'RPC for ' + ns + ' is not supported', undefined)
    if (!RPC_METHODS.has(cmd) || typeof this.rpcServer[cmd] !== 'function') {
      return this.reply(msgid, 'method ' + cmd + ' not implemented', undefined)
    }
    if (this.debug) this.log.debug('rpc: #' + msgid + ' method: ' + message[2] + ' args: ' + JSON.stringify(args))
    let result
    try {
      result = Promise.resolve(this.rpcServer[cmd](...args))
    } catch (err) {
      result = Promise.reject(err)
    }
    result.then(
      (value) => this.reply(msgid, undefined, value),
      (err) => {
        this.log.error('rpc: #' + msgid + ' ' + errorText(err))
        this.reply(msgid, errorText(err), undefined)
      })
  }

  // A Step answering a kong.request.* call, decoded again with its strings as byte strings (only when one holds a
  // byte above 0x7F: otherwise the first decoding already was one).
  withRequestBytes(frame, message) {
    const step = Array.isArray(message[3]) ? message[3][0] : undefined
    if (!step || typeof this.rpcServer.awaitsRequestBytes !== 'function' || !this.rpcServer.awaitsRequestBytes(step.EventId)) return message
    const widened = byteStringFrame(frame)
    return widened === null ? message : this.decoder.decode(widened)
  }

  reply(msgid, error, result) {
    if (this.socket.destroyed || !this.socket.writable) return
    this.socket.write(this.encoder.encode([1, msgid, error, result]))
  }
}

function errorText(err) {
  if (typeof err === 'string') return err
  if (err && typeof err.message === 'string') return err.message
  return String(err)
}

function serve(rpcServer, socketPath, log, debug) {
  try {
    fs.unlinkSync(socketPath)
  } catch (err) {
    if (err.code !== 'ENOENT') throw err
  }
  const server = net.createServer((socket) => new Connection(socket, rpcServer, log, debug))
  server.listen({ path: socketPath, backlog: LISTEN_BACKLOG })
  log.info('server started at', socketPath)
  return server
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
  serve(ps, path.join(opts.kongPrefix, opts.sockName), logger, opts.logLevel === 'debug')
}

// kong-pdk's bin calls close() here too, which also stops the idle-instance expiry timer: keep that behaviour.
ps.close()
