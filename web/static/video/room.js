// The video room page: lobby (device checks, waiting to be let in), the meeting itself, and the
// host's controls. Protocol: docs/signaling.md. The server renders everything the page needs
// into data- attributes and a JSON block of translated strings.

import { AssessmentPanel } from "./assessment.js";
import { Chat } from "./chat.js";
import { runConnectionTest } from "./connection-test.js";
import { openCameraAndMicrophone, playTestSound, startLevelMeter, stopTracks } from "./devices.js";
import { Mesh } from "./mesh.js";
import { PeopleList } from "./people.js";
import { QualityMonitor } from "./quality.js";
import { Signaling } from "./signaling.js";
import { Formats, readStrings, translator } from "./text.js";
import { Tiles } from "./tiles.js";

const MIC_SILENCE_HINT_MS = 8000;
const ANNOUNCEMENT_LIFETIME_MS = 15000;
const QUALITY_TONES = { good: "green", fair: "yellow", poor: "red", unknown: "grey" };

class Room {
  constructor(root) {
    const data = root.dataset;
    this.root = root;
    this.config = {
      meetingId: data.meetingId,
      testPath: data.testPath,
      role: data.role,
      credential: data.credentialKind ? { kind: data.credentialKind, token: data.credentialToken } : null,
      caseworkerName: data.caseworkerName,
      leaveUrl: data.leaveUrl,
    };
    this.isHost = data.role === "host";
    this.t = translator(readStrings(byId("video-room-strings")));
    this.formats = new Formats(data.lang || document.documentElement.lang || "fi");

    this.stage = "";
    this.self = null;
    this.ice = null;
    this.admitted = false;
    this.peers = new Map();
    this.away = new Set();
    this.waiting = [];
    this.deviceCheck = null;
    this.testing = false;
    this.testWanted = false;
    this.autoTested = false;
    this.mesh = null;
    this.quality = null;
    this.qualityLevel = "unknown";
    this.micOn = true;
    this.cameraOn = true;
    this.audioOnly = false;
    this.screenTrack = null;
    this.local = { stream: new MediaStream(), audioTrack: null, videoTrack: null };
    this.inbox = Promise.resolve();
    this.reconnecting = false;

    this.tiles = new Tiles({
      list: byId("video-tiles"),
      t: this.t,
      onSoundBlocked: () => {
        byId("sound-blocked").hidden = false;
      },
    });
    this.people = new PeopleList({
      list: byId("people-list"),
      t: this.t,
      fallbackFocus: byId("people-title"),
      actions: this.isHost
        ? [
            {
              key: "remove",
              className: "button--warning",
              when: (participant) => participant.id !== this.self?.id,
              onClick: (participant) => this.signaling.send({ type: "remove", participant: participant.id }),
            },
          ]
        : [],
    });
    if (this.isHost) {
      this.lobby = new PeopleList({
        list: byId("lobby-list"),
        t: this.t,
        fallbackFocus: byId("lobby-panel-title"),
        actions: [
          {
            key: "admit",
            className: "",
            onClick: (participant) => this.signaling.send({ type: "admit", participant: participant.id }),
          },
          {
            key: "decline",
            className: "button--secondary",
            onClick: (participant) => this.signaling.send({ type: "decline", participant: participant.id }),
          },
        ],
      });
    }
    this.chat = new Chat({
      form: byId("chat-form"),
      text: byId("chat-text"),
      log: byId("chat-log"),
      error: byId("chat-error"),
      send: (message) => this.signaling.send(message),
      t: this.t,
      formats: this.formats,
    });
    this.assessment = new AssessmentPanel({
      role: data.role,
      panel: byId("assessment-panel"),
      title: byId("assessment-title"),
      body: byId("assessment-body"),
      chooser: document.getElementById("assessment-chooser"),
      select: document.getElementById("assessment-template"),
      sendButton: document.getElementById("assessment-send"),
      hostError: document.getElementById("assessment-host-error"),
      t: this.t,
      fieldMessages: readStrings(byId("video-assessment-messages")),
      lang: this.formats.lang,
      formats: this.formats,
      send: (message) => this.signaling.send(message),
      announce: (text) => this.announce(text),
    });

    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.signaling = new Signaling({
      url: `${scheme}//${location.host}${data.wsPath}`,
      credential: this.config.credential,
      storageKey: `kohtaamo-video-resume:${data.meetingId}`,
    });
    this.signaling.addEventListener("status", (event) => this.onStatus(event.detail.state));
    this.signaling.addEventListener("message", (event) => {
      const { message } = event.detail;
      // One message at a time, in order: an `admitted` waits for the camera, and the signals
      // after it must wait too.
      this.inbox = this.inbox.then(() => this.onMessage(message)).catch((error) => console.warn(message.type, error));
    });
    this.signaling.addEventListener("closed", (event) => {
      this.inbox = this.inbox.then(() => this.onClosed(event.detail));
    });
  }

  start() {
    this.bindControls();
    // The host is let in at once, so their page starts in the room; everyone else waits.
    this.showStage(this.isHost ? "room" : "lobby");
    this.renderSelfState();
    this.renderQuality({ rttMs: null, loss: null, level: "unknown" });
    this.localReady = this.openDevices();
    // Connect straight away: the host sees us waiting while we check our devices.
    this.signaling.start();
  }

  // ---- devices and checks ----------------------------------------------------------------------

  async openDevices() {
    this.local = await openCameraAndMicrophone();
    const { stream, audioTrack, videoTrack, problem } = this.local;
    this.cameraTrack = videoTrack;
    this.micOn = Boolean(audioTrack);
    this.cameraOn = Boolean(videoTrack);
    for (const id of ["preview-video", "self-video"]) {
      const video = document.getElementById(id);
      if (video) {
        video.srcObject = stream;
        video.play().catch(() => {});
      }
    }
    const mediaProblem = document.getElementById("media-problem");
    if (problem && mediaProblem) {
      mediaProblem.textContent = !audioTrack && !videoTrack ? this.t("no_media") : !audioTrack ? this.t("no_audio_device") : "";
      mediaProblem.hidden = !mediaProblem.textContent;
    }
    const micButton = byId("toggle-mic");
    const cameraButton = byId("toggle-camera");
    micButton.disabled = !audioTrack;
    cameraButton.disabled = !videoTrack;
    micButton.setAttribute("aria-pressed", String(!this.micOn));
    cameraButton.setAttribute("aria-pressed", String(!this.cameraOn));
    this.startMicMeter();
    this.renderSelfState();
  }

  startMicMeter() {
    const meter = document.getElementById("mic-meter");
    const status = document.getElementById("mic-status");
    if (!meter || !this.local.audioTrack) return;
    const silence = setTimeout(() => {
      status.textContent = this.t("mic_silent");
    }, MIC_SILENCE_HINT_MS);
    this.micMeter = startLevelMeter(this.local.stream, meter, () => {
      clearTimeout(silence);
      status.textContent = this.t("mic_heard");
    });
  }

  async playSound() {
    const result = byId("sound-result");
    result.textContent = this.t("sound_playing");
    await playTestSound();
    result.textContent = "";
    byId("sound-question").hidden = false;
    byId("sound-yes").focus();
  }

  answerSound(heard) {
    byId("sound-question").hidden = true;
    byId("sound-result").textContent = this.t(heard ? "sound_heard" : "sound_not_heard");
    byId("sound-play").focus();
  }

  async runTest() {
    if (this.testing) return;
    const status = byId("test-status");
    if (!this.ice) {
      this.testWanted = true;
      status.textContent = this.t("test_waiting");
      return;
    }
    await this.localReady;
    this.testing = true;
    const button = byId("test-run");
    button.setAttribute("aria-disabled", "true");
    status.textContent = this.t("test_running");
    byId("test-results").hidden = true;
    let echoMeter = null;
    const result = await runConnectionTest({
      path: this.config.testPath,
      credential: this.config.credential,
      ice: this.ice,
      stream: this.local.stream,
      onEcho: (stream) => {
        byId("test-tile").hidden = !stream.getVideoTracks().length;
        const video = byId("test-video");
        if (video.srcObject !== stream) video.srcObject = stream;
        video.play().catch(() => {});
        if (!echoMeter && stream.getAudioTracks().length) {
          byId("test-meter").hidden = false;
          echoMeter = startLevelMeter(stream, byId("test-audio-meter"));
        }
      },
      onReading: (reading) => this.renderTestReading(reading),
    });
    echoMeter?.stop();
    byId("test-video").srcObject = null;
    byId("test-tile").hidden = true;
    byId("test-meter").hidden = true;
    this.renderTestReading(result);
    const messages = {
      passed: "test_passed",
      failed: "test_failed",
      "no-connection": "test_no_connection",
      busy: "test_busy",
      "no-media": "test_no_media",
      error: "test_no_connection",
    };
    status.textContent = this.t(messages[result.outcome]);
    button.textContent = this.t("test_again");
    button.removeAttribute("aria-disabled");
    this.testing = false;
    // A busy or broken test says nothing about this person's devices, so it is not reported.
    if (result.outcome !== "busy" && result.outcome !== "error") {
      this.deviceCheck = {
        passed: result.outcome === "passed",
        rtt_ms: result.rttMs === null ? null : Math.min(60_000, Math.round(result.rttMs)),
        loss: result.loss === null ? null : Math.min(1, Math.max(0, Math.round(result.loss * 1000) / 1000)),
      };
      if (!this.isHost) this.signaling.send({ type: "device-check", ...this.deviceCheck });
    }
  }

  renderTestReading({ rttMs, loss }) {
    if (rttMs === null && loss === null) return;
    byId("test-results").hidden = false;
    byId("test-rtt").textContent = rttMs === null ? "–" : this.formats.milliseconds.format(rttMs);
    byId("test-loss").textContent = loss === null ? "–" : this.formats.percent.format(loss);
  }

  // ---- the connection ----------------------------------------------------------------------------

  onStatus(state) {
    const status = byId("video-status");
    clearTimeout(this.statusTimer);
    if (state === "connecting") {
      status.textContent = this.t("connecting");
    } else if (state === "reconnecting") {
      this.reconnecting = true;
      status.textContent = this.t("reconnecting");
    } else if (this.reconnecting) {
      this.reconnecting = false;
      status.textContent = this.t("reconnected");
      this.statusTimer = setTimeout(() => {
        status.textContent = "";
      }, 5000);
    } else {
      status.textContent = "";
    }
  }

  async onMessage(message) {
    // The live questionnaire's messages, and the errors about it.
    if (message.type.startsWith("assessment") || message.type === "error") {
      if (this.assessment.handle(message)) return undefined;
    }
    switch (message.type) {
      case "welcome":
        return this.onWelcome(message);
      case "admitted":
        return this.onAdmitted(message);
      case "lobby":
        return this.onLobby(message);
      case "peer-joined":
        return this.onPeerJoined(message.peer);
      case "peer-away":
        return this.onPeerAway(message.id);
      case "peer-left":
        return this.onPeerLeft(message.id, message.reason);
      case "signal":
        return this.mesh?.handleSignal(message.from, message);
      case "chat":
        return this.onChat(message);
      case "media":
        return this.onMedia(message);
      case "error":
        console.warn("signaling error", message.code, message.detail);
        return undefined;
      default:
        return undefined;
    }
  }

  onWelcome({ you, state, ice }) {
    this.self = you;
    this.ice = ice;
    this.root.dataset.participantId = you.id;
    byId("self-name").textContent = this.t("you", { name: you.name });
    if (state === "lobby") {
      if (this.admitted) {
        // Our seat was gone when we came back: we wait to be let in again.
        this.leaveMeshState();
        this.assessment.reset();
      }
      this.showStage("lobby", { focus: this.stage === "room" });
      byId("lobby-waiting").textContent = this.t("waiting", { name: this.config.caseworkerName });
      if (this.deviceCheck) this.signaling.send({ type: "device-check", ...this.deviceCheck });
      if (!this.autoTested && !this.isHost) {
        this.autoTested = true;
        this.runTest();
      }
    }
    if (this.testWanted) {
      this.testWanted = false;
      this.runTest();
    }
  }

  async onAdmitted({ peers }) {
    await this.localReady;
    const arriving = this.stage !== "room";
    this.leaveMeshState();
    this.admitted = true;
    this.mesh = new Mesh({
      selfId: this.self.id,
      ice: this.ice,
      local: { stream: this.local.stream, audioTrack: this.local.audioTrack, videoTrack: this.screenTrack ?? this.cameraTrack },
      sendSignal: (to, payload) => this.signaling.send({ type: "signal", to, ...payload }),
    });
    this.mesh.setAudioOnly(this.audioOnly);
    this.mesh.addEventListener("track", (event) => this.tiles.setStream(event.detail.id, event.detail.stream));
    this.mesh.addEventListener("state", (event) => {
      const { id, state } = event.detail;
      if (state === "connected") this.tiles.setConnection(id, "connected");
      else if (state === "connecting" || state === "new") this.tiles.setConnection(id, "connecting");
    });
    for (const peer of peers) {
      this.peers.set(peer.id, peer);
      this.tiles.show(peer, "connecting");
      this.mesh.offerTo(peer.id);
    }
    this.renderPeople();
    this.showStage("room", { focus: arriving && !this.isHost });
    if (arriving && !this.isHost) this.announce(this.t("admitted"));
    this.sendMedia();
    this.quality ??= new QualityMonitor(() => this.mesh?.connections ?? [], (reading) => this.renderQuality(reading));
  }

  leaveMeshState() {
    this.mesh?.closeAll();
    this.mesh = null;
    this.tiles.removeAll();
    this.peers.clear();
    this.away.clear();
    this.admitted = false;
    this.renderPeople();
  }

  onLobby({ waiting }) {
    if (!this.lobby) return;
    const before = new Set(this.waiting.map((participant) => participant.id));
    const now = new Set(waiting.map((participant) => participant.id));
    for (const participant of waiting) {
      if (!before.has(participant.id)) this.announce(this.t("lobby_arrived", { name: participant.name }));
    }
    for (const participant of this.waiting) {
      if (now.has(participant.id)) continue;
      // Someone admitted is announced as joining (its peer-joined may come just after this
      // update); only someone who went away from the lobby is worth a word of its own.
      setTimeout(() => {
        if (!this.peers.has(participant.id) && !this.waiting.some((other) => other.id === participant.id)) {
          this.announce(this.t("lobby_left", { name: participant.name }));
        }
      }, 1500);
    }
    this.waiting = waiting;
    this.lobby.update(waiting, (participant) => this.describeDeviceCheck(participant.device_check));
    byId("lobby-empty").hidden = waiting.length > 0;
  }

  onPeerJoined(peer) {
    if (!this.mesh) return;
    const known = this.peers.has(peer.id);
    this.peers.set(peer.id, peer);
    this.away.delete(peer.id);
    this.tiles.show(peer, "connecting");
    this.mesh.expect(peer.id);
    this.renderPeople();
    if (!known) this.announce(this.t("joined", { name: peer.name }));
  }

  onPeerAway(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.away.add(id);
    this.tiles.setConnection(id, "away");
    this.renderPeople();
    this.announce(this.t("away", { name: peer.name }));
  }

  onPeerLeft(id, reason) {
    const peer = this.peers.get(id);
    this.mesh?.drop(id);
    this.tiles.remove(id);
    this.peers.delete(id);
    this.away.delete(id);
    this.renderPeople();
    if (!peer) return;
    const key = { removed: "removed_other", timeout: "timed_out" }[reason] ?? "left";
    this.announce(this.t(key, { name: peer.name }));
  }

  onChat(message) {
    this.chat.add(message);
    if (message.from !== this.self?.id) {
      const text = message.text.length > 300 ? `${message.text.slice(0, 300)}…` : message.text;
      this.announce(`${message.name}: ${text}`);
    }
  }

  onMedia({ from, audio, video, screen }) {
    const peer = this.peers.get(from);
    if (!peer) return;
    peer.media = { audio, video, screen };
    this.tiles.show(peer);
    this.renderPeople();
  }

  onClosed({ code, reason, opensAt }) {
    if (code === 4423) {
      const time = opensAt ? this.formats.moment(opensAt) : "";
      this.showFatal(this.t("fatal_not_open"), time ? this.t("fatal_not_open_text", { time }) : "");
      return;
    }
    this.shutDown();
    const [title, text] = this.closedText(code, reason);
    this.showFatal(title, text);
  }

  closedText(code, reason) {
    const t = this.t;
    switch (code) {
      case 4403:
        if (reason === "declined") return [t("fatal_declined"), ""];
        if (reason === "removed") return [t("fatal_removed"), ""];
        if (reason === "full") return [t("fatal_full"), ""];
        return [t("fatal_forbidden"), t("fatal_forbidden_text")];
      case 4410:
        return [t("fatal_ended"), ""];
      case 4409:
        return [t("fatal_replaced"), t("fatal_replaced_text")];
      case 4401:
        return [t("fatal_unauthenticated"), t("fatal_unauthenticated_text")];
      case 4404:
        return [t("fatal_not_found"), ""];
      case 4429:
        return [t("fatal_closed"), t("fatal_too_many_text")];
      case 1000:
        return [t("fatal_left"), ""];
      default:
        return [t("fatal_closed"), t("fatal_error_text", { code })];
    }
  }

  showFatal(title, text) {
    byId("fatal-title").textContent = title;
    byId("fatal-text").textContent = text;
    byId("fatal-text").hidden = !text;
    byId("video-status").textContent = "";
    this.showStage("fatal", { focus: true });
  }

  /** Stop everything that uses the camera, the microphone or the network. */
  shutDown() {
    this.leaveMeshState();
    this.quality?.stop();
    this.micMeter?.stop();
    this.screenTrack?.stop();
    stopTracks(this.local.stream);
  }

  leave() {
    this.signaling.leave();
    this.shutDown();
    location.assign(this.config.leaveUrl);
  }

  // ---- your own microphone, camera and screen ----------------------------------------------

  bindControls() {
    const on = (id, handler) => document.getElementById(id)?.addEventListener("click", handler);
    on("sound-play", () => this.playSound());
    on("sound-yes", () => this.answerSound(true));
    on("sound-no", () => this.answerSound(false));
    on("test-run", () => this.runTest());
    on("lobby-leave", () => this.leave());
    on("room-leave", () => this.leave());
    on("toggle-mic", () => this.toggleMicrophone());
    on("toggle-camera", () => this.toggleCamera());
    on("toggle-audio-only", () => this.toggleAudioOnly());
    on("toggle-screen", () => (this.screenTrack ? this.stopScreen() : this.startScreen()));
    on("sound-unblock", () => {
      byId("sound-blocked").hidden = true;
      this.tiles.playAll();
    });
    on("end-meeting", () => {
      byId("end-confirm").hidden = false;
      byId("end-confirm-text").focus();
    });
    on("end-no", () => {
      byId("end-confirm").hidden = true;
      byId("end-meeting").focus();
    });
    on("end-yes", () => this.signaling.send({ type: "end" }));
    const screenButton = document.getElementById("toggle-screen");
    if (screenButton && navigator.mediaDevices?.getDisplayMedia) screenButton.hidden = false;
  }

  toggleMicrophone() {
    if (!this.local.audioTrack) return;
    this.micOn = !this.micOn;
    this.local.audioTrack.enabled = this.micOn;
    byId("toggle-mic").setAttribute("aria-pressed", String(!this.micOn));
    this.mediaChanged();
  }

  toggleCamera() {
    if (!this.cameraTrack) return;
    this.cameraOn = !this.cameraOn;
    this.cameraTrack.enabled = this.cameraOn && !this.audioOnly;
    byId("toggle-camera").setAttribute("aria-pressed", String(!this.cameraOn));
    this.mediaChanged();
  }

  async toggleAudioOnly() {
    if (!this.audioOnly && this.screenTrack) await this.stopScreen();
    this.audioOnly = !this.audioOnly;
    if (this.cameraTrack) this.cameraTrack.enabled = this.cameraOn && !this.audioOnly;
    this.mesh?.setAudioOnly(this.audioOnly);
    this.tiles.setAudioOnly(this.audioOnly);
    byId("toggle-audio-only").setAttribute("aria-pressed", String(this.audioOnly));
    this.mediaChanged();
  }

  async startScreen() {
    let display;
    try {
      display = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
    } catch (error) {
      if (error.name !== "NotAllowedError") this.announce(this.t("screen_failed"));
      return;
    }
    const track = display.getVideoTracks()[0];
    if (!track) return;
    // Text on a shared screen must stay sharp; a lower frame rate is the better trade.
    track.contentHint = "detail";
    if (this.audioOnly) await this.toggleAudioOnly();
    this.screenTrack = track;
    track.addEventListener("ended", () => this.stopScreen());
    await this.mesh?.replaceVideoTrack(track);
    const selfVideo = byId("self-video");
    selfVideo.srcObject = new MediaStream([track]);
    selfVideo.play().catch(() => {});
    byId("toggle-screen").setAttribute("aria-pressed", "true");
    this.mediaChanged();
  }

  async stopScreen() {
    const track = this.screenTrack;
    if (!track) return;
    this.screenTrack = null;
    track.stop();
    await this.mesh?.replaceVideoTrack(this.cameraTrack);
    const selfVideo = byId("self-video");
    selfVideo.srcObject = this.local.stream;
    selfVideo.play().catch(() => {});
    byId("toggle-screen").setAttribute("aria-pressed", "false");
    this.mediaChanged();
  }

  mediaChanged() {
    this.renderSelfState();
    this.sendMedia();
    this.renderPeople();
  }

  currentMedia() {
    const camera = Boolean(this.cameraTrack) && this.cameraOn;
    return {
      audio: Boolean(this.local.audioTrack) && this.micOn,
      video: !this.audioOnly && (camera || Boolean(this.screenTrack)),
      screen: !this.audioOnly && Boolean(this.screenTrack),
    };
  }

  sendMedia() {
    if (this.admitted) this.signaling.send({ type: "media", ...this.currentMedia() });
  }

  // ---- rendering ---------------------------------------------------------------------------

  showStage(name, { focus = false } = {}) {
    this.stage = name;
    for (const stage of ["lobby", "room", "fatal"]) byId(`${stage}-stage`).hidden = stage !== name;
    if (focus) byId(`${name}-title`).focus();
  }

  renderSelfState() {
    const media = this.currentMedia();
    const parts = [this.t(media.audio ? "self_mic_on" : "self_mic_off")];
    if (this.audioOnly) parts.push(this.t("self_audio_only"));
    else if (media.screen) parts.push(this.t("self_screen"));
    else parts.push(this.t(media.video ? "self_camera_on" : "self_camera_off"));
    byId("media-state").textContent = parts.join(" ");
    const notes = [];
    if (!media.audio) notes.push(this.t("tile_mic_off"));
    if (!media.video) notes.push(this.t("tile_camera_off"));
    byId("self-state").textContent = notes.join(" · ");
    const selfTile = byId("tile-self");
    selfTile.classList.toggle("video-tile--no-video", !media.video);
    selfTile.classList.toggle("video-tile--screen", media.screen);
  }

  renderPeople() {
    const everyone = [];
    if (this.self && this.admitted) {
      everyone.push({ ...this.self, name: this.t("you", { name: this.self.name }), media: this.currentMedia() });
    }
    everyone.push(...this.peers.values());
    this.people.update(everyone, (participant) => {
      const media = participant.media ?? { audio: true, video: true, screen: false };
      const notes = [];
      if (this.away.has(participant.id)) notes.push(this.t("tile_away"));
      if (!media.audio) notes.push(this.t("tile_mic_off"));
      if (media.screen) notes.push(this.t("tile_screen"));
      else if (!media.video) notes.push(this.t("tile_camera_off"));
      return [notes.join(" · "), "grey"];
    });
  }

  describeDeviceCheck(check) {
    if (!check) return [this.t("check_none"), "grey"];
    const label = this.t(check.passed ? "check_passed" : "check_failed");
    const tone = check.passed ? "green" : "red";
    if (check.rtt_ms === null && check.loss === null) return [label, tone];
    const detail = this.t("quality_detail", {
      rtt: check.rtt_ms === null ? "–" : this.formats.integer.format(check.rtt_ms),
      loss: check.loss === null ? "–" : this.formats.percent.format(check.loss),
    });
    return [`${label} (${detail})`, tone];
  }

  renderQuality({ rttMs, loss, level }) {
    const badge = byId("quality-level");
    badge.textContent = this.t(`quality_${level}`);
    badge.className = `tag tag--${QUALITY_TONES[level]}`;
    byId("quality-detail").textContent =
      level === "unknown"
        ? ""
        : this.t("quality_detail", {
            rtt: rttMs === null ? "–" : this.formats.integer.format(rttMs),
            loss: loss === null ? "–" : this.formats.percent.format(loss),
          });
    if (level === "poor" && this.qualityLevel !== "poor" && !this.audioOnly) {
      this.announce(this.t("quality_poor_announce"));
    }
    this.qualityLevel = level;
  }

  /** Polite announcements for screen readers: joins, leaves, admission, chat. */
  announce(text) {
    const region = byId("video-announcer");
    const line = document.createElement("p");
    line.textContent = text;
    region.append(line);
    setTimeout(() => line.remove(), ANNOUNCEMENT_LIFETIME_MS);
  }
}

function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element;
}

const root = document.getElementById("video-room");
if (root) {
  const room = new Room(root);
  room.start();
}
