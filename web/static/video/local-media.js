// Your own microphone, camera and screen: opening them, the buttons that turn them on and off,
// and what the page says you are sending. The peer connections follow through the callbacks.

import { openCameraAndMicrophone, stopTracks } from "./devices.js";
import { byId } from "./dom.js";

export class LocalMedia {
  #t;
  #announce;
  #onVideoTrack;
  #onAudioOnly;
  #onChange;
  #local = { stream: new MediaStream(), audioTrack: null, videoTrack: null };
  #cameraTrack = null;
  #screenTrack = null;
  #micOn = true;
  #cameraOn = true;
  #audioOnly = false;

  /**
   * @param onVideoTrack {(track: MediaStreamTrack|null) => Promise<void>|void} send this track instead
   * @param onAudioOnly {(on: boolean) => void}
   * @param onChange {() => void} what we send changed
   */
  constructor({ t, announce, onVideoTrack, onAudioOnly, onChange }) {
    this.#t = t;
    this.#announce = announce;
    this.#onVideoTrack = onVideoTrack;
    this.#onAudioOnly = onAudioOnly;
    this.#onChange = onChange;
  }

  get stream() {
    return this.#local.stream;
  }

  get audioTrack() {
    return this.#local.audioTrack;
  }

  get audioOnly() {
    return this.#audioOnly;
  }

  /** What a new peer connection sends: the shared screen, if any, in place of the camera. */
  get outgoing() {
    return { stream: this.#local.stream, audioTrack: this.#local.audioTrack, videoTrack: this.#screenTrack ?? this.#cameraTrack };
  }

  /** What the others are told we send (the "media" message). */
  get current() {
    const camera = Boolean(this.#cameraTrack) && this.#cameraOn;
    return {
      audio: Boolean(this.#local.audioTrack) && this.#micOn,
      video: !this.#audioOnly && (camera || Boolean(this.#screenTrack)),
      screen: !this.#audioOnly && Boolean(this.#screenTrack),
    };
  }

  bindControls() {
    const on = (id, handler) => document.getElementById(id)?.addEventListener("click", handler);
    on("toggle-mic", () => this.#toggleMicrophone());
    on("toggle-camera", () => this.#toggleCamera());
    on("toggle-audio-only", () => this.#toggleAudioOnly());
    on("toggle-screen", () => (this.#screenTrack ? this.#stopScreen() : this.#startScreen()));
    const screenButton = document.getElementById("toggle-screen");
    if (screenButton && navigator.mediaDevices?.getDisplayMedia) screenButton.hidden = false;
  }

  async open() {
    this.#local = await openCameraAndMicrophone();
    const { stream, audioTrack, videoTrack, problem } = this.#local;
    this.#cameraTrack = videoTrack;
    this.#micOn = Boolean(audioTrack);
    this.#cameraOn = Boolean(videoTrack);
    for (const id of ["preview-video", "self-video"]) {
      const video = document.getElementById(id);
      if (video) {
        video.srcObject = stream;
        video.play().catch(() => {});
      }
    }
    const mediaProblem = document.getElementById("media-problem");
    if (problem && mediaProblem) {
      mediaProblem.textContent = !audioTrack && !videoTrack ? this.#t("no_media") : !audioTrack ? this.#t("no_audio_device") : "";
      mediaProblem.hidden = !mediaProblem.textContent;
    }
    const micButton = byId("toggle-mic");
    const cameraButton = byId("toggle-camera");
    micButton.disabled = !audioTrack;
    cameraButton.disabled = !videoTrack;
    micButton.setAttribute("aria-pressed", String(!this.#micOn));
    cameraButton.setAttribute("aria-pressed", String(!this.#cameraOn));
  }

  /** Release the camera, the microphone and the shared screen. */
  stop() {
    this.#screenTrack?.stop();
    stopTracks(this.#local.stream);
  }

  renderSelfState() {
    const media = this.current;
    const parts = [this.#t(media.audio ? "self_mic_on" : "self_mic_off")];
    if (this.#audioOnly) parts.push(this.#t("self_audio_only"));
    else if (media.screen) parts.push(this.#t("self_screen"));
    else parts.push(this.#t(media.video ? "self_camera_on" : "self_camera_off"));
    byId("media-state").textContent = parts.join(" ");
    const notes = [];
    if (!media.audio) notes.push(this.#t("tile_mic_off"));
    if (!media.video) notes.push(this.#t("tile_camera_off"));
    byId("self-state").textContent = notes.join(" · ");
    const selfTile = byId("tile-self");
    selfTile.classList.toggle("video-tile--no-video", !media.video);
    selfTile.classList.toggle("video-tile--screen", media.screen);
  }

  #toggleMicrophone() {
    if (!this.#local.audioTrack) return;
    this.#micOn = !this.#micOn;
    this.#local.audioTrack.enabled = this.#micOn;
    byId("toggle-mic").setAttribute("aria-pressed", String(!this.#micOn));
    this.#changed();
  }

  #toggleCamera() {
    if (!this.#cameraTrack) return;
    this.#cameraOn = !this.#cameraOn;
    this.#cameraTrack.enabled = this.#cameraOn && !this.#audioOnly;
    byId("toggle-camera").setAttribute("aria-pressed", String(!this.#cameraOn));
    this.#changed();
  }

  async #toggleAudioOnly() {
    if (!this.#audioOnly && this.#screenTrack) await this.#stopScreen();
    this.#audioOnly = !this.#audioOnly;
    if (this.#cameraTrack) this.#cameraTrack.enabled = this.#cameraOn && !this.#audioOnly;
    this.#onAudioOnly(this.#audioOnly);
    byId("toggle-audio-only").setAttribute("aria-pressed", String(this.#audioOnly));
    this.#changed();
  }

  async #startScreen() {
    let display;
    try {
      display = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
    } catch (error) {
      if (error.name !== "NotAllowedError") this.#announce(this.#t("screen_failed"));
      return;
    }
    const track = display.getVideoTracks()[0];
    if (!track) return;
    // Text on a shared screen must stay sharp; a lower frame rate is the better trade.
    track.contentHint = "detail";
    if (this.#audioOnly) await this.#toggleAudioOnly();
    this.#screenTrack = track;
    track.addEventListener("ended", () => this.#stopScreen());
    await this.#onVideoTrack(track);
    const selfVideo = byId("self-video");
    selfVideo.srcObject = new MediaStream([track]);
    selfVideo.play().catch(() => {});
    byId("toggle-screen").setAttribute("aria-pressed", "true");
    this.#changed();
  }

  async #stopScreen() {
    const track = this.#screenTrack;
    if (!track) return;
    this.#screenTrack = null;
    track.stop();
    await this.#onVideoTrack(this.#cameraTrack);
    const selfVideo = byId("self-video");
    selfVideo.srcObject = this.#local.stream;
    selfVideo.play().catch(() => {});
    byId("toggle-screen").setAttribute("aria-pressed", "false");
    this.#changed();
  }

  #changed() {
    this.renderSelfState();
    this.#onChange();
  }
}
