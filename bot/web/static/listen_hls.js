"use strict";
// The listen page's second way in: the Space's low-latency HLS (bot/hls), played by hls.js from npm, for a
// network that blocks WebRTC's UDP. A few seconds behind the Stage instead of a fraction of one, but plain
// HTTPS gets through anywhere a web page does; and the only way in when a host broadcasts the Space (no cap
// on listeners). listen.html's Play calls `spacesHls.choose(webrtc, otherwise)`, WebRTC giving up before it
// ever connected calls `spacesHls.fallback(otherwise)`, and stopping calls `spacesHls.stop()`. Uses the page's `base`, `query`, `$`,
// `say`, `setPlaying` and `exposeAnalyser` (declared by its own script, which runs before anything here is called).
window.spacesHls = (() => {
  let hls = null;
  let tapped = null;  // the audio element's one WebAudio source: an element can be captured only once
  const FIRST_SEGMENT_TRIES = 5;  // a Space that just opened lists its first segment within a second or two

  async function about() {
    for (let attempt = 0; attempt < FIRST_SEGMENT_TRIES; attempt++) {
      const answer = await fetch(base + "/hls.json" + query, { cache: "no-store" }).catch(() => null);
      if (!answer || !answer.ok) return null;
      const info = await answer.json();
      if (info.playlist || info.reason) return info;
      await new Promise((done) => setTimeout(done, 1000));
    }
    return null;
  }

  function load(src) {
    if (window.Hls) return Promise.resolve();
    return new Promise((done, fail) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = done;
      script.onerror = () => fail(new Error("the HLS player did not load"));
      document.head.append(script);
    });
  }

  function analyse(audio) {  // the same window.spaces.peakHz/level the WebRTC path offers (tests, lights)
    if (tapped === null) {
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 8192;
      const source = context.createMediaElementSource(audio);
      source.connect(analyser);
      source.connect(context.destination);  // once captured, the element is heard only through the context
      tapped = { context, analyser };
    }
    tapped.context.resume();
    exposeAnalyser(tapped.context, tapped.analyser);  // listen.html's
  }

  function play(playlist) {
    const audio = $("audio");
    audio.srcObject = null;
    // Close to live: one and a half segments from the playlist's end (1.5 s with the default 1 s segments; less
    // runs dry before the next segment is listed), catching up slightly faster than real time after a stall.
    hls = new Hls({ liveSyncDurationCount: 1.5, liveMaxLatencyDurationCount: 5, maxLiveSyncPlaybackRate: 1.1 });
    let recoveries = 0;
    hls.on(Hls.Events.ERROR, (event, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR && recoveries++ < 5) return hls.startLoad();
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && recoveries++ < 5) return hls.recoverMediaError();
      stop();
      setPlaying(false);
      say("The audio over HTTP stopped (" + data.details + ").", "Press Play to try again.");
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => audio.play().catch(() => {}));
    audio.onplaying = () => {
      window.spaces.connected = true;
      analyse(audio);
      say("Live over HTTP — you’re listening, a few seconds behind the Stage.");
    };
    hls.loadSource(new URL(playlist, location.href).href);
    hls.attachMedia(audio);
    window.spaces.hls = true;
  }

  // Plays the Space over HLS if it has one, else calls `otherwise()` (the page's own "can't connect" advice).
  // `broadcast`: chosen because the Space is broadcast, not because WebRTC failed on this network.
  async function fallback(otherwise, broadcast = false) {
    setPlaying(true);
    say(broadcast ? "This Space is broadcast: connecting over HTTP…"
      : "Your network blocks live audio’s usual way in: trying over HTTP…");
    const info = await about();
    if (!info || !info.playlist) { setPlaying(false); return otherwise(info && info.reason); }
    try { await load(info.player); } catch (e) { setPlaying(false); return otherwise(String(e.message)); }
    if (!window.Hls.isSupported()) { setPlaying(false); return otherwise("This browser cannot play HLS."); }
    if (!broadcast) spacesHls.preferred = true;  // Play again comes straight here: WebRTC cannot get through
    play(info.playlist);
  }

  // Play: HLS when WebRTC already failed on this page or the Space is broadcast, else `webrtc()`.
  async function choose(webrtc, otherwise) {
    setPlaying(true);  // the button answers at once, whichever way the audio comes
    if (spacesHls.preferred) return fallback(otherwise);
    const answer = await fetch(base + "/hls.json" + query, { cache: "no-store" }).catch(() => null);
    const info = answer && answer.ok ? await answer.json() : null;
    if (!wantPlaying) return;  // paused meanwhile
    if (info && info.broadcast) return fallback(otherwise, true);
    webrtc();
  }

  // A broadcast Space's page reads its state from the HLS origin (page.json beside the playlist, which a CDN
  // caches for a second: bot/hls/page_files.py) instead of holding an event stream to the bot, so its audience,
  // however large, costs the bot nothing. Any other page calls `events()`, the bot's event stream.
  const PAGE_POLL_MS = 1000;
  async function follow(events) {
    const answer = await fetch(base + "/hls.json" + query, { cache: "no-store" }).catch(() => null);
    const info = answer && answer.ok ? await answer.json() : null;
    if (!info || !info.broadcast || !info.page) return events();
    window.spaces.stateOverHttp = true;
    const page = new URL(info.page, location.href).href;
    let version = 0;
    const look = async () => {
      const reply = await fetch(page).catch(() => null);
      const state = reply && reply.ok ? await reply.json().catch(() => null) : null;
      if (state && state.version !== version) {
        version = state.version;
        if (state.state) showState(state.state);
        if (state.captions) showCaptions(state.captions);
        if (!state.live) return showEnded("This Space has ended.");
      }
      setTimeout(look, PAGE_POLL_MS);
    };
    look();
  }

  function stop() {
    if (hls !== null) { hls.destroy(); hls = null; }
    window.spaces.hls = false;
  }

  return { choose, fallback, follow, stop, preferred: false };
})();
