// Preloaded into the plugin server when the Kong benchmark profiles it (NODE_OPTIONS="--cpu-prof --require ..."):
// Node writes the --cpu-prof profile only on a normal exit, and the dev host stops the server with SIGTERM.
'use strict'
process.on('SIGTERM', () => process.exit(0))
