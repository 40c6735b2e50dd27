// CommonJS: Node 20.19+ can require() an ES module (with no top-level await); older Node throws
// ERR_REQUIRE_ESM, which the README documents.
try {
  const tributary = require('tributary');
  const testing = require('tributary/testing');
  console.log(JSON.stringify({ ok: true, createApp: typeof tributary.createApp, given: typeof testing.given }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, code: err.code, message: err.message }));
}
