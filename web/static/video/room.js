// The video room page: lobby (device checks, waiting to be let in), the meeting itself, and the
// host's controls. Protocol: docs/signaling.md. The server renders everything the page needs
// into data- attributes and a JSON block of translated strings.
//
// This module wires the room's parts together and hands each server message to its part.

import { announcer } from "./announcer.js";
import { AssessmentPanel } from "./assessment.js";
import { Chat } from "./chat.js";
import { closedText, ROOM_NOT_OPEN } from "./closing.js";
import { ConnectionStatus } from "./connection-status.js";
import { DeviceChecks } from "./device-checks.js";
import { byId } from "./dom.js";
import { bindEndMeeting } from "./end-meeting.js";
import { LocalMedia } from "./local-media.js";
import { Lobby } from "./lobby.js";
import { Meeting } from "./meeting.js";
import { PlanPanel } from "./plan.js";
import { QualityBadge } from "./quality-badge.js";
import { QualityMonitor } from "./quality.js";
import { Signaling } from "./signaling.js";
import { Stages } from "./stages.js";
import { Formats, readStrings, translator } from "./text.js";
import { Tiles } from "./tiles.js";

// Chat messages are read out in full only up to this many characters.
const CHAT_ANNOUNCEMENT_CHARACTERS = 300;

class Room {
  constructor(root) {
    const data = root.dataset;
    this.root = root;
    this.isHost = data.role === "host";
    this.leaveUrl = data.leaveUrl;
    this.caseworkerName = data.caseworkerName;
    const credential = data.credentialKind ? { kind: data.credentialKind, token: data.credentialToken } : null;
    this.t = translator(readStrings(byId("video-room-strings")));
    this.formats = new Formats(data.lang || document.documentElement.lang || "fi");
    this.announce = announcer(byId("video-announcer"));
    this.inbox = Promise.resolve();
    this.localReady = null;
    this.quality = null;

    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.signaling = new Signaling({
      url: `${scheme}//${location.host}${data.wsPath}`,
      credential,
      storageKey: `kohtaamo-video-resume:${data.meetingId}`,
    });
    const send = (message) => this.signaling.send(message);

    this.stages = new Stages();
    this.status = new ConnectionStatus({ element: byId("video-status"), t: this.t });
    this.tiles = new Tiles({
      list: byId("video-tiles"),
      t: this.t,
      onSoundBlocked: () => {
        byId("sound-blocked").hidden = false;
      },
    });
    this.media = new LocalMedia({
      t: this.t,
      announce: this.announce,
      onVideoTrack: (track) => this.meeting.replaceVideoTrack(track),
      onAudioOnly: (on) => this.meeting.setAudioOnly(on),
      onChange: () => this.meeting.ourMediaChanged(),
    });
    this.meeting = new Meeting({
      isHost: this.isHost,
      list: byId("people-list"),
      fallbackFocus: byId("people-title"),
      tiles: this.tiles,
      media: this.media,
      send,
      t: this.t,
      announce: this.announce,
    });
    this.lobby = this.isHost
      ? new Lobby({
          list: byId("lobby-list"),
          empty: byId("lobby-empty"),
          fallbackFocus: byId("lobby-panel-title"),
          t: this.t,
          formats: this.formats,
          send,
          announce: this.announce,
          isInMeeting: (id) => this.meeting.isPresent(id),
        })
      : null;
    this.checks = new DeviceChecks({
      t: this.t,
      formats: this.formats,
      isHost: this.isHost,
      testPath: data.testPath,
      credential,
      media: this.media,
      devicesOpened: () => this.localReady,
      send,
    });
    this.qualityBadge = new QualityBadge({
      t: this.t,
      formats: this.formats,
      announce: this.announce,
      isAudioOnly: () => this.media.audioOnly,
    });
    this.chat = new Chat({
      form: byId("chat-form"),
      text: byId("chat-text"),
      log: byId("chat-log"),
      error: byId("chat-error"),
      send,
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
      send,
      announce: this.announce,
    });

    const planPanel = document.getElementById("plan-panel");
    this.plan = planPanel
      ? new PlanPanel({
          isHost: this.isHost,
          panel: planPanel,
          body: byId("plan-body"),
          status: byId("plan-status"),
          error: byId("plan-error"),
          openButton: document.getElementById("plan-open"),
          t: this.t,
          fieldMessages: readStrings(byId("video-plan-messages")),
          send,
          announce: this.announce,
          myPlansUrl: data.myPlansUrl,
        })
      : null;

    this.signaling.addEventListener("status", (event) => this.status.show(event.detail.state));
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
    this.stages.show(this.isHost ? "room" : "lobby");
    this.media.renderSelfState();
    this.qualityBadge.show({ rttMs: null, loss: null, level: "unknown" });
    this.localReady = this.openDevices();
    // Connect straight away: the host sees us waiting while we check our devices.
    this.signaling.start();
  }

  async openDevices() {
    await this.media.open();
    this.checks.startMicMeter();
    this.media.renderSelfState();
  }

  bindControls() {
    this.media.bindControls();
    this.checks.bindControls();
    bindEndMeeting((message) => this.signaling.send(message));
    const on = (id, handler) => document.getElementById(id)?.addEventListener("click", handler);
    on("lobby-leave", () => this.leave());
    on("toggle-incoming-video", (event) => {
      const off = event.currentTarget.getAttribute("aria-pressed") !== "true";
      event.currentTarget.setAttribute("aria-pressed", String(off));
      this.meeting.setIncomingVideo(!off);
      this.announce(this.t(off ? "incoming_video_off" : "incoming_video_on"));
    });
    on("room-leave", () => this.leave());
    on("sound-unblock", () => {
      byId("sound-blocked").hidden = true;
      this.tiles.playAll();
    });
  }

  async onMessage(message) {
    // The live questionnaire's messages, and the errors about it.
    if (message.type.startsWith("assessment") || message.type === "error") {
      if (this.assessment.handle(message)) return undefined;
    }
    // The wellbeing plan's messages, and the errors about it.
    if (message.type.startsWith("plan") || message.type === "error") {
      if (this.plan?.handle(message)) return undefined;
    }
    switch (message.type) {
      case "welcome":
        return this.onWelcome(message);
      case "admitted":
        return this.onAdmitted(message);
      case "lobby":
        return this.lobby?.update(message.waiting);
      case "peer-joined":
        return this.meeting.peerJoined(message.peer);
      case "peer-away":
        return this.meeting.peerAway(message.id);
      case "peer-left":
        return this.meeting.peerLeft(message.id, message.reason);
      case "signal":
        return this.meeting.signal(message);
      case "media-path":
        return this.onMediaPath(message);
      case "sfu-ready":
      case "sfu-published":
      case "sfu-offer":
      case "sfu-speaking":
        return this.meeting.sfuMessage(message);
      case "chat":
        return this.onChat(message);
      case "media":
        return this.meeting.peerMedia(message);
      case "error":
        console.warn("signaling error", message.code, message.detail);
        return undefined;
      default:
        return undefined;
    }
  }

  onWelcome({ you, state, ice }) {
    this.meeting.welcome(you, ice);
    this.root.dataset.participantId = you.id;
    this.plan?.welcome(you.id);
    byId("self-name").textContent = this.t("you", { name: you.name });
    if (state === "lobby") this.waitInLobby();
    this.checks.welcome(ice, { inLobby: state === "lobby" });
  }

  waitInLobby() {
    if (this.meeting.admitted) {
      // Our seat was gone when we came back: we wait to be let in again.
      this.meeting.disconnect();
      this.assessment.reset();
      this.plan?.reset();
    }
    this.stages.show("lobby", { focus: this.stages.current === "room" });
    byId("lobby-waiting").textContent = this.t("waiting", { name: this.caseworkerName });
  }

  async onAdmitted({ peers, path }) {
    await this.localReady;
    const arriving = this.stages.current !== "room";
    this.meeting.enter(peers, path);
    this.showSfuControls();
    this.stages.show("room", { focus: arriving && !this.isHost });
    if (arriving && !this.isHost) this.announce(this.t("admitted"));
    this.meeting.sendOurMedia();
    this.quality ??= new QualityMonitor(
      () => this.meeting.connections,
      (reading) => {
        this.qualityBadge.show(reading);
        this.meeting.noteLoss(reading.loss);
      },
    );
  }

  onMediaPath({ path }) {
    if (path === "sfu") this.meeting.moveToSfu();
    this.showSfuControls();
  }

  /** Turning others' video off exists only through the SFU, which can stop sending it. */
  showSfuControls() {
    const button = document.getElementById("toggle-incoming-video");
    if (button) button.hidden = !this.meeting.throughSfu;
  }

  onChat(message) {
    this.chat.add(message);
    if (message.from !== this.meeting.self?.id) {
      const text =
        message.text.length > CHAT_ANNOUNCEMENT_CHARACTERS
          ? `${message.text.slice(0, CHAT_ANNOUNCEMENT_CHARACTERS)}…`
          : message.text;
      this.announce(`${message.name}: ${text}`);
    }
  }

  onClosed(closure) {
    // Signaling connects again by itself when the room opens, so the devices stay on meanwhile.
    if (closure.code !== ROOM_NOT_OPEN) this.shutDown();
    const [title, text] = closedText(this.t, this.formats, closure);
    this.status.clear();
    this.stages.showFatal(title, text);
  }

  /** Stop everything that uses the camera, the microphone or the network. */
  shutDown() {
    this.meeting.disconnect();
    this.quality?.stop();
    this.checks.stop();
    this.media.stop();
  }

  leave() {
    this.signaling.leave();
    this.shutDown();
    location.assign(this.leaveUrl);
  }
}

const root = document.getElementById("video-room");
if (root) {
  const room = new Room(root);
  room.start();
}
