// A video tile per participant: the picture, the name, and what they are (not) sending.

export class Tiles {
  #list;
  #t;
  #onSoundBlocked;
  #tiles = new Map();
  #audioOnly = false;
  #incomingVideo = true;
  #speaker = null;

  constructor({ list, t, onSoundBlocked }) {
    this.#list = list;
    this.#t = t;
    this.#onSoundBlocked = onSoundBlocked;
  }

  /** Add or refresh a peer's tile. `connection` is "connecting" | "connected" | "away". */
  show(participant, connection) {
    let tile = this.#tiles.get(participant.id);
    if (!tile) {
      const item = document.createElement("li");
      item.className = "video-tile";
      item.dataset.peerId = participant.id;
      const video = document.createElement("video");
      video.className = "video-tile__video";
      video.autoplay = true;
      video.playsInline = true;
      const label = document.createElement("p");
      label.className = "video-tile__label";
      const name = document.createElement("span");
      name.className = "video-tile__name";
      const state = document.createElement("span");
      state.className = "video-tile__state";
      label.append(name, " ", state);
      item.append(video, label);
      this.#list.append(item);
      tile = { item, video, name, state, participant, connection: "connecting" };
      this.#tiles.set(participant.id, tile);
    }
    tile.participant = participant;
    if (connection) tile.connection = connection;
    this.#render(tile);
  }

  setConnection(id, connection) {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    tile.connection = connection;
    this.#render(tile);
  }

  setStream(id, stream) {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    if (tile.video.srcObject !== stream) tile.video.srcObject = stream;
    this.#play(tile.video);
  }

  remove(id) {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    tile.video.srcObject = null;
    tile.item.remove();
    this.#tiles.delete(id);
  }

  removeAll() {
    for (const id of [...this.#tiles.keys()]) this.remove(id);
  }

  /** After a click: browsers allow sound to start from a user's action. */
  playAll() {
    for (const tile of this.#tiles.values()) this.#play(tile.video);
  }

  /** In audio only no video arrives: show names instead of frozen pictures. */
  setAudioOnly(on) {
    this.#audioOnly = on;
    for (const tile of this.#tiles.values()) this.#render(tile);
  }

  /** Others' video turned off to save data: names instead of pictures, as in audio only. */
  setIncomingVideo(on) {
    this.#incomingVideo = on;
    for (const tile of this.#tiles.values()) this.#render(tile);
  }

  /** Through the SFU the one speaking is shown large, first in the grid. */
  setSpeaker(id) {
    this.#speaker = id;
    for (const tile of this.#tiles.values()) this.#render(tile);
  }

  setThroughSfu(on) {
    this.#list.classList.toggle("video-grid--sfu", on);
    if (!on) this.#speaker = null;
  }

  #play(video) {
    if (!video.srcObject) return;
    video.play().catch((error) => {
      if (error.name === "NotAllowedError") this.#onSoundBlocked();
    });
  }

  #render(tile) {
    const { participant } = tile;
    const role = this.#t(`role_${participant.role}`);
    tile.name.textContent = `${participant.name} (${role})`;
    const media = participant.media ?? { audio: true, video: true, screen: false };
    const notes = [];
    if (tile.connection === "away") notes.push(this.#t("tile_away"));
    else if (tile.connection === "connecting") notes.push(this.#t("tile_connecting"));
    if (!media.audio) notes.push(this.#t("tile_mic_off"));
    if (media.screen) notes.push(this.#t("tile_screen"));
    else if (!media.video) notes.push(this.#t("tile_camera_off"));
    tile.state.textContent = notes.join(" · ");
    const noVideo = this.#audioOnly || !this.#incomingVideo || (!media.video && !media.screen);
    tile.item.classList.toggle("video-tile--no-video", noVideo);
    // Through the SFU, the one speaking and a shared screen are shown large.
    tile.item.classList.toggle("video-tile--large", participant.id === this.#speaker || media.screen);
    tile.item.classList.toggle("video-tile--away", tile.connection === "away");
  }
}
