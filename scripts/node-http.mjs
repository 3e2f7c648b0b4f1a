// Stands in, in the CLI bundle, for `node:http`. Node's ESM facade of a built-in module reads every export, and three
// of node:http's (WebSocket, CloseEvent, MessageEvent) load undici on first read: 15 ms of every CLI run that talks to
// a cluster. process.getBuiltinModule returns the same module object without the facade; only the names below are read.
const http = process.getBuiltinModule('node:http');
export default http;
export const {
  Agent,
  ClientRequest,
  IncomingMessage,
  METHODS,
  OutgoingMessage,
  STATUS_CODES,
  Server,
  ServerResponse,
  createServer,
  get,
  globalAgent,
  maxHeaderSize,
  request,
  validateHeaderName,
  validateHeaderValue,
} = http;
