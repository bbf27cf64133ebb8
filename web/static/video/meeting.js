// Who is in the meeting with us, and our peer connection to each of them: the mesh, their video
// tiles and the list of people. Filled when the server admits us, emptied when we lose our seat.

import { Mesh } from "./mesh.js";
import { PeopleList } from "./people.js";
import { SfuMedia } from "./sfu.js";

export class Meeting {
  #t;
  #announce;
  #send;
  #tiles;
  #media;
  #people;
  #self = null;
  #ice = null;
  #admitted = false;
  #mesh = null;
  #sfu = null;
  #peers = new Map();
  #away = new Set();

  /**
   * @param tiles {import("./tiles.js").Tiles}
   * @param media {import("./local-media.js").LocalMedia}
   */
  constructor({ isHost, list, fallbackFocus, tiles, media, send, t, announce }) {
    this.#t = t;
    this.#announce = announce;
    this.#send = send;
    this.#tiles = tiles;
    this.#media = media;
    this.#people = new PeopleList({
      list,
      t,
      fallbackFocus,
      actions: isHost
        ? [
            {
              key: "remove",
              className: "button--warning",
              when: (participant) => participant.id !== this.#self?.id,
              onClick: (participant) => send({ type: "remove", participant: participant.id }),
            },
          ]
        : [],
    });
  }

  get self() {
    return this.#self;
  }

  get admitted() {
    return this.#admitted;
  }

  get connections() {
    return this.#sfu?.connections ?? this.#mesh?.connections ?? [];
  }

  /** Whether our media goes through the SFU (then incoming video can be turned off). */
  get throughSfu() {
    return this.#sfu !== null;
  }

  welcome(you, ice) {
    this.#self = you;
    this.#ice = ice;
  }

  isPresent(id) {
    return this.#peers.has(id);
  }

  /** The server let us in: through the SFU, or with a connection offered to everyone here. */
  enter(peers, path) {
    this.disconnect();
    this.#admitted = true;
    if (path === "sfu") {
      this.#startSfu();
      for (const peer of peers) {
        this.#peers.set(peer.id, peer);
        this.#tiles.show(peer, "connecting");
      }
      this.renderPeople();
      return;
    }
    this.#mesh = new Mesh({
      selfId: this.#self.id,
      ice: this.#ice,
      local: this.#media.outgoing,
      sendSignal: (to, payload) => this.#send({ type: "signal", to, ...payload }),
    });
    this.#mesh.setAudioOnly(this.#media.audioOnly);
    this.#mesh.addEventListener("track", (event) => this.#tiles.setStream(event.detail.id, event.detail.stream));
    this.#mesh.addEventListener("state", (event) => {
      const { id, state } = event.detail;
      if (state === "connected") this.#tiles.setConnection(id, "connected");
      else if (state === "connecting" || state === "new") this.#tiles.setConnection(id, "connecting");
    });
    for (const peer of peers) {
      this.#peers.set(peer.id, peer);
      this.#tiles.show(peer, "connecting");
      this.#mesh.offerTo(peer.id);
    }
    this.renderPeople();
  }

  /** The room moved to the SFU: the connections to each peer give way to the SFU's. */
  moveToSfu() {
    if (!this.#admitted || this.#sfu) return;
    this.#mesh?.closeAll();
    this.#mesh = null;
    for (const id of this.#peers.keys()) this.#tiles.setConnection(id, "connecting");
    this.#startSfu();
    this.#announce(this.#t("moved_to_sfu"));
  }

  #startSfu() {
    this.#sfu = new SfuMedia({ ice: this.#ice, local: this.#media.outgoing, send: this.#send });
    this.#sfu.setAudioOnly(this.#media.audioOnly);
    this.#sfu.addEventListener("track", (event) => {
      this.#tiles.setStream(event.detail.id, event.detail.stream);
      this.#tiles.setConnection(event.detail.id, "connected");
    });
    this.#sfu.addEventListener("state", (event) => {
      const { id, state } = event.detail;
      if (state === "connected") this.#tiles.setConnection(id, "connected");
    });
    this.#sfu.addEventListener("speaker", (event) => this.#tiles.setSpeaker(event.detail.id));
    this.#tiles.setThroughSfu(true);
  }

  /** The SFU's messages: our seat is ready, its answer, its offer, who speaks. */
  sfuMessage(message) {
    if (!this.#sfu) return;
    if (message.type === "sfu-ready") this.#sfu.publish();
    else if (message.type === "sfu-published") this.#sfu.published(message.description);
    else if (message.type === "sfu-offer") this.#sfu.offer(message);
    else if (message.type === "sfu-speaking") this.#sfu.speaking(message);
  }

  setIncomingVideo(on) {
    this.#sfu?.setIncomingVideo(on);
    this.#tiles.setIncomingVideo(on);
  }

  noteLoss(loss) {
    this.#sfu?.noteLoss(loss);
  }

  /** Close every peer connection and forget who was here. */
  disconnect() {
    this.#mesh?.closeAll();
    this.#mesh = null;
    this.#sfu?.closeAll();
    this.#sfu = null;
    this.#tiles.setThroughSfu(false);
    this.#tiles.removeAll();
    this.#peers.clear();
    this.#away.clear();
    this.#admitted = false;
    this.renderPeople();
  }

  peerJoined(peer) {
    if (!this.#mesh && !this.#sfu) return;
    const known = this.#peers.has(peer.id);
    this.#peers.set(peer.id, peer);
    this.#away.delete(peer.id);
    this.#tiles.show(peer, "connecting");
    this.#mesh?.expect(peer.id);
    this.renderPeople();
    if (!known) this.#announce(this.#t("joined", { name: peer.name }));
  }

  peerAway(id) {
    const peer = this.#peers.get(id);
    if (!peer) return;
    this.#away.add(id);
    this.#tiles.setConnection(id, "away");
    this.renderPeople();
    this.#announce(this.#t("away", { name: peer.name }));
  }

  peerLeft(id, reason) {
    const peer = this.#peers.get(id);
    this.#mesh?.drop(id);
    this.#sfu?.forget(id);
    this.#tiles.remove(id);
    this.#peers.delete(id);
    this.#away.delete(id);
    this.renderPeople();
    if (!peer) return;
    const key = { removed: "removed_other", timeout: "timed_out" }[reason] ?? "left";
    this.#announce(this.#t(key, { name: peer.name }));
  }

  peerMedia({ from, audio, video, screen }) {
    const peer = this.#peers.get(from);
    if (!peer) return;
    peer.media = { audio, video, screen };
    this.#sfu?.setSharing(from, screen);
    this.#tiles.show(peer);
    this.renderPeople();
  }

  /** Resolves when the signal is handled: the room's later messages wait for it. */
  signal(message) {
    return this.#mesh?.handleSignal(message.from, message);
  }

  replaceVideoTrack(track) {
    return (this.#sfu ?? this.#mesh)?.replaceVideoTrack(track);
  }

  setAudioOnly(on) {
    this.#mesh?.setAudioOnly(on);
    this.#sfu?.setAudioOnly(on);
    this.#tiles.setAudioOnly(on);
  }

  /** Tell the others, and our own list, what we now send. */
  ourMediaChanged() {
    this.sendOurMedia();
    this.renderPeople();
  }

  sendOurMedia() {
    if (this.#admitted) this.#send({ type: "media", ...this.#media.current });
  }

  renderPeople() {
    const everyone = [];
    if (this.#self && this.#admitted) {
      everyone.push({ ...this.#self, name: this.#t("you", { name: this.#self.name }), media: this.#media.current });
    }
    everyone.push(...this.#peers.values());
    this.#people.update(everyone, (participant) => {
      const media = participant.media ?? { audio: true, video: true, screen: false };
      const notes = [];
      if (this.#away.has(participant.id)) notes.push(this.#t("tile_away"));
      if (!media.audio) notes.push(this.#t("tile_mic_off"));
      if (media.screen) notes.push(this.#t("tile_screen"));
      else if (!media.video) notes.push(this.#t("tile_camera_off"));
      return [notes.join(" · "), "grey"];
    });
  }
}
