// Entry point of the bundle shipped in rtcpool_django/static/rtcpool_django/rtcpool.js:
// the published RTCPool client, unmodified, exposed as the global `rtcpool`
// (rtcpool.Pool, rtcpool.signalling.websocket, rtcpool.media.ManagedStream).
window.rtcpool = require("rtcpool");
