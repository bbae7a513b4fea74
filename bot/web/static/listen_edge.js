"use strict";
// Playing through a Janus edge (bot/web/edge_routes.py), put in the listen page only when edges are configured.
// The bot chooses the edge and relays the signalling after checking this page's link: the edge offers (Janus's
// streaming plugin "watch"), the page answers ("start"), and the audio then comes from the edge itself.
// An edge can die mid-Space without ICE noticing for half a minute, so the page also watches the audio: three
// seconds without a packet while connected and it calls `lost`, which dials again (and the bot picks a live edge).
window.spacesEdge = (() => {
  const STALL_MS = 3000;

  function gathered(pc) {  // the bot relays one complete answer, not trickled candidates
    return new Promise((done) => {
      if (pc.iceGatheringState === "complete") return done();
      pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && done());
    });
  }

  async function received(pc) {
    let packets = 0;
    (await pc.getStats()).forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === "audio") packets += report.packetsReceived;
    });
    return packets;
  }

  function watchStall(pc, lost) {
    let last = -1, since = Date.now();
    const timer = setInterval(async () => {
      if (pc.connectionState === "closed") { clearInterval(timer); return; }
      if (pc.connectionState !== "connected") { since = Date.now(); return; }
      const now = await received(pc);
      if (now !== last) { last = now; since = Date.now(); return; }
      if (Date.now() - since >= STALL_MS) { clearInterval(timer); lost(); }
    }, 500);
  }

  // Connects `pc` through an edge; null once the edge has the answer, else the bot's reason to show.
  async function play(pc, base, query, lost) {
    const watch = await fetch(base + "/edge" + query, { method: "POST" });
    if (!watch.ok) return await watch.text();
    const { listener, sdp } = await watch.json();
    await pc.setRemoteDescription({ type: "offer", sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    const start = await fetch(base + "/edge/" + encodeURIComponent(listener) + query, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sdp: pc.localDescription.sdp }),
    });
    if (!start.ok) return await start.text();
    watchStall(pc, lost);
    return null;
  }

  return { play };
})();
