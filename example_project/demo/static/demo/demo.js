// The demo call page: the published RTCPool client (global `rtcpool`, from
// rtcpool_django/static/rtcpool_django/rtcpool.js) against this site's ws/rtcpool/.
(() => {
  const form = document.getElementById("join-form");
  const roomInput = document.getElementById("room");
  const nameInput = document.getElementById("name");
  const joinButton = document.getElementById("join");
  const leaveButton = document.getElementById("leave");
  const status = document.getElementById("status");
  const tiles = document.getElementById("tiles");

  // STUN and TURN servers come from the site (rtcpool/ice-servers/), with a TURN credential
  // minted for this call; without any configured the list is empty, enough on one network.
  // The same join token as the socket's, when there is one: TURN for whoever may join.
  async function fetchIceServers(room, token) {
    const query = new URLSearchParams(token ? { pool: room, token } : { pool: room });
    return (await getJson(`${form.dataset.iceServers}?${query}`)).iceServers;
  }

  // A signed-in visitor's page asks the site for a join token for the room: it admits
  // them whatever the room's access mode, and names them as their account does (the
  // page cannot pick the name). Anonymous visitors join public rooms, named by ?name=.
  async function fetchJoinToken(room) {
    if (!form.dataset.joinToken) return null;
    const query = new URLSearchParams({ pool: room });
    return getJson(`${form.dataset.joinToken}?${query}`);
  }

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error.message);
    return body;
  }

  let pool = null;
  let stream = null;

  // What the server's close code after rtc:stop means for the person on the page.
  const STOPPED = {
    4001: "You were removed from the room.", // kicked, or too far behind to keep up
    4012: "The server lost its connection to the other servers; join again in a moment.",
    closed: "The room was closed by the site.",
  };

  function tile(id, label, local = false) {
    let element = tiles.querySelector(`[data-peer="${id}"]`);
    if (!element) {
      element = document.createElement("div");
      element.className = local ? "tile local" : "tile remote";
      element.dataset.peer = id;
      const video = document.createElement("video");
      video.autoplay = true;
      video.playsInline = true;
      video.muted = local; // never play our own microphone back
      const name = document.createElement("span");
      name.className = "name";
      element.append(video, name);
      tiles.append(element);
    }
    if (label !== undefined) element.querySelector(".name").textContent = label;
    return element;
  }

  function label(connection) {
    const description = connection.description;
    return (description && description.name) || `Guest ${connection.id.slice(0, 4)}`;
  }

  function show(text) {
    status.textContent = text;
  }

  function peersText() {
    const count = pool ? pool.nconnections : 0;
    return count === 1 ? "1 other person" : `${count} other people`;
  }

  function sendMedia(connection) {
    for (const track of stream.getTracks()) connection.addTrack(track, stream);
  }

  async function join(room, typedName) {
    const invitation = await fetchJoinToken(room);
    const token = invitation ? invitation.token : null;
    const name = invitation ? invitation.name : typedName;
    const iceServers = await fetchIceServers(room, token);
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    const local = tile("local", `${name || "You"} (you)`, true);
    local.querySelector("video").srcObject = stream;

    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const params = token ? { token } : name ? { name } : null;
    const query = params ? `?${new URLSearchParams(params)}` : "";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/rtcpool/${query}`);
    pool = new rtcpool.Pool({ iceServers }, new rtcpool.signalling.websocket(socket));
    let joined = false;

    pool.events.addEventListener("peer", (event) => {
      const connection = event.detail.connection;
      const element = tile(connection.id, label(connection));
      if (joined) show(`In room “${room}” with ${peersText()}.`);
      // RTCPool 3.0.2 mishandles glare, so in each pair only the later joiner offers
      // first; the earlier peer adds its camera while it answers (see the docs' tutorial).
      let sending = !joined;
      if (sending) sendMedia(connection);
      connection.addEventListener("track", (e) => {
        const video = element.querySelector("video");
        if (!video.srcObject) video.srcObject = e.streams[0] || new MediaStream();
        if (!video.srcObject.getTracks().includes(e.track)) video.srcObject.addTrack(e.track);
        if (!sending) {
          sending = true;
          sendMedia(connection);
        }
      });
    });
    pool.events.addEventListener("join", () => {
      joined = true;
      for (const connection of pool.connections) tile(connection.id, label(connection));
      show(`In room “${room}” with ${peersText()}.`);
    });
    pool.events.addEventListener("describe", (event) => {
      tile(event.detail.connection.id, label(event.detail.connection));
    });
    pool.events.addEventListener("close", (event) => {
      if (!event.detail) return; // the pool itself closed: 'stop' or our own leave()
      const id = event.detail.id;
      // The client still holds a departed peer while it dispatches 'close'; a connection
      // that only lost ICE for a moment stays.
      setTimeout(() => {
        if (pool && !pool.getConnection(id)) {
          tiles.querySelector(`[data-peer="${id}"]`)?.remove();
          show(`In room “${room}” with ${peersText()}.`);
        }
      });
    });
    // rtc:stop comes first and the server's close code then says why (docs: "Error
    // reasons"): wait for the close to tell the person what happened.
    let stopped = false;
    pool.events.addEventListener("stop", () => {
      stopped = true;
    });
    socket.addEventListener("message", (event) => {
      // The client ignores rtc:error; show the server's reason (e.g. a closed room).
      // Not unknown_peer: the client relays only to peers it was told of, so that one
      // answers an offer, answer or candidate that crossed the peer's departure, after
      // its rtc:close. The call goes on; the status must keep saying who is in it.
      const frame = JSON.parse(event.data);
      if (frame.type === "rtc:error" && frame.data.reason !== "unknown_peer") {
        show(`The server said: ${frame.data.message}`);
      }
    });
    socket.addEventListener("close", (event) => {
      if (!pool) return; // we left
      if (!stopped) reset("Disconnected from the server.");
      else reset(STOPPED[event.code] || STOPPED.closed);
    });
    pool.join(room);
    show(`Joining “${room}”…`);
  }

  function reset(message) {
    const closing = pool;
    pool = null;
    if (closing) closing.close();
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    tiles.replaceChildren();
    joinButton.hidden = false;
    leaveButton.hidden = true;
    roomInput.disabled = nameInput.disabled = false;
    show(message);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    joinButton.hidden = true;
    leaveButton.hidden = false;
    roomInput.disabled = nameInput.disabled = true;
    try {
      await join(roomInput.value.trim(), nameInput.value.trim());
    } catch (error) {
      reset(`Could not join: ${error.message}`);
    }
  });
  leaveButton.addEventListener("click", () => reset("You left the room."));
})();
