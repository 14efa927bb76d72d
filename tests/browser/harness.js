// Drives the published RTCPool client in a test page; the tests read `window.peer`.
// Nothing here touches the signalling protocol: it only calls the client's public API.
(() => {
  const state = {
    id: null,
    joined: false,
    stopped: false,
    peers: [], // ids of the connections the client holds, in arrival order
    left: [], // ids the client reported closed by the server
    descriptions: {}, // id -> last description seen through the client
    received: {}, // id -> messages received on the data channel from that peer
    tracks: {}, // id -> kinds of the remote tracks received from that peer
    errors: [], // uncaught errors in the page (the client throws on what it cannot handle)
    serverErrors: [], // rtc:error frames (the client itself ignores them)
    frames: [], // signalling frames in and out, abridged, for failure reports
  };
  const channels = {}; // id -> open RTCDataChannel
  let pool = null;

  function remember(id) {
    if (!state.peers.includes(id)) state.peers.push(id);
  }

  function listen(id, channel) {
    channel.addEventListener("message", (event) => {
      (state.received[id] = state.received[id] || []).push(event.data);
    });
    channel.addEventListener("open", () => {
      channels[id] = channel;
    });
    if (channel.readyState === "open") channels[id] = channel;
  }

  // join(url, name, {openChannels, media, rtcConfig}). rtcConfig is the RTCConfiguration
  // the client passes to each RTCPeerConnection (default: no ICE servers). RTCPool 3.0.2 mishandles glare (both sides
  // offering at once), so in each pair the later joiner starts every negotiation:
  // openChannels makes this page open a data channel to each peer already in the pool, and
  // with media this page offers its camera and microphone to those peers at once, while
  // to peers that join later it adds them only when their offer arrives.
  async function join(url, name, options = {}) {
    const socket = new WebSocket(url);
    const abridge = (dir, text) => {
      const { type, data } = JSON.parse(text);
      const who = data.peer || data.to || data.for || data.from || data.id || "";
      const what = data.description ? data.description.type : data.candidate === null ? "end" : "";
      state.frames.push(`${dir} ${type} ${who.slice(0, 8)} ${what || ""}`.trim());
      if (dir === "<" && type === "rtc:error") state.serverErrors.push(data);
    };
    socket.addEventListener("message", (event) => abridge("<", event.data));
    const send = socket.send.bind(socket);
    socket.send = (text) => {
      abridge(">", text);
      send(text);
    };
    socket.addEventListener("close", () => {
      state.socketClosed = true;
    });
    const rtcConfig = options.rtcConfig || { iceServers: [] };
    pool = new rtcpool.Pool(rtcConfig, new rtcpool.signalling.websocket(socket));
    const stream = options.media
      ? await navigator.mediaDevices.getUserMedia({ audio: true, video: true })
      : null;
    const sendMedia = (connection) => {
      for (const track of stream.getTracks()) connection.addTrack(track, stream);
    };
    pool.events.addEventListener("peer", (event) => {
      const connection = event.detail.connection;
      remember(connection.id);
      // null for now; 'join' (earlier peers) or 'describe' (later ones) tells the real one.
      state.descriptions[connection.id] = connection.description ?? null;
      connection.addEventListener("datachannel", (e) => listen(connection.id, e.channel));
      let sending = false;
      connection.addEventListener("track", (e) => {
        (state.tracks[connection.id] = state.tracks[connection.id] || []).push(e.track.kind);
        // An earlier peer adds its media while it applies the joiner's offer: its answer
        // then carries it, and the two sides never make offers at the same time.
        if (stream && !sending) {
          sending = true;
          sendMedia(connection);
        }
      });
      // The later joiner (connections made before 'join') offers its media at once.
      if (stream && !state.joined) {
        sending = true;
        sendMedia(connection);
      }
    });
    pool.events.addEventListener("join", () => {
      state.id = pool.id;
      state.joined = true;
      for (const connection of pool.connections) {
        state.descriptions[connection.id] = connection.description;
        if (options.openChannels) {
          listen(connection.id, connection.dataChannel("chat", {}, true));
        }
      }
    });
    pool.events.addEventListener("describe", (event) => {
      state.descriptions[event.detail.connection.id] = event.detail.description;
    });
    pool.events.addEventListener("close", (event) => {
      // detail is the connection for a departed peer, null when the pool itself closed.
      if (event.detail && !state.left.includes(event.detail.id)) state.left.push(event.detail.id);
    });
    pool.events.addEventListener("stop", () => {
      state.stopped = true;
    });
    pool.join(name);
  }

  function send(id, text) {
    channels[id].send(text);
  }

  function openChannels() {
    return Object.keys(channels).filter((id) => channels[id].readyState === "open");
  }

  // The candidate types ({local, remote}) of the pair ICE selected for the connection to
  // `id`, from getStats; null before one is selected. The client exposes the raw
  // RTCPeerConnections only as `_raw_connections`, in the order of `connections`.
  async function selectedCandidates(id) {
    const index = pool.connections.findIndex((connection) => connection.id === id);
    const stats = await pool._raw_connections[index].getStats();
    for (const report of stats.values()) {
      if (report.type !== "transport" || !report.selectedCandidatePairId) continue;
      const pair = stats.get(report.selectedCandidatePairId);
      return {
        local: stats.get(pair.localCandidateId).candidateType,
        remote: stats.get(pair.remoteCandidateId).candidateType,
      };
    }
    return null;
  }

  window.peer = { state, join, send, openChannels, selectedCandidates, pool: () => pool };
  window.addEventListener("error", (e) => state.errors.push(String(e.message)));
  window.addEventListener("unhandledrejection", (e) => state.errors.push(String(e.reason)));
})();
