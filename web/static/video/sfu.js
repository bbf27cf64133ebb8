// Media through the SFU (docs/signaling.md, "Through the SFU"): one connection that sends our
// camera (in three simulcast qualities where the browser can) and microphone, and one that
// receives everyone else. Kohtaamo relays every description and candidate to Janus.
//
// Which quality we receive of each person is ours to choose: the one speaking now and anyone
// sharing their screen (both shown large) in high, the others lower, and nobody's video at all when we turn incoming video off
// or go audio only. When our connection loses packets we step everyone down one quality.
//
// Events: "track" {id, stream}, "state" {id, state}, "speaker" {id}.

import { candidateInit, describe } from "./rtc-messages.js";

const SIMULCAST = [
  { rid: "h", active: true, maxBitrate: 900_000 },
  { rid: "m", active: true, maxBitrate: 300_000, scaleResolutionDownBy: 2 },
  { rid: "l", active: true, maxBitrate: 100_000, scaleResolutionDownBy: 4 },
];
// Loss (0–1) in what we receive above which every video steps down one quality.
const LOSSY = 0.05;

export class SfuMedia extends EventTarget {
  #ice;
  #local;
  #send;
  #publisher = null;
  #subscriber = null;
  #videoSender = null;
  #feedOfMid = new Map();
  #streams = new Map();
  #speaker = null;
  #sharing = new Set();
  #incomingVideo = true;
  #audioOnly = false;
  #lossy = false;
  #chosen = new Map();
  #inbox = Promise.resolve();

  constructor({ ice, local, send }) {
    super();
    this.#ice = ice;
    this.#local = local;
    this.#send = send;
  }

  get connections() {
    return [this.#publisher, this.#subscriber].filter(Boolean);
  }

  get incomingVideo() {
    return this.#incomingVideo;
  }

  /** Our seat in the SFU is ready: offer what we send. */
  publish() {
    this.#queue(async () => {
      this.#publisher?.close();
      const pc = (this.#publisher = new RTCPeerConnection(this.#ice));
      pc.onicecandidate = ({ candidate }) =>
        this.#send({ type: "sfu-candidate", target: "publish", candidate: candidate ? candidateInit(candidate) : null });
      pc.addTransceiver(this.#local.audioTrack ?? "audio", { direction: "sendonly", streams: [this.#local.stream] });
      const video = pc.addTransceiver(this.#local.videoTrack ?? "video", {
        direction: "sendonly",
        streams: [this.#local.stream],
        sendEncodings: SIMULCAST,
      });
      this.#videoSender = video.sender;
      if (this.#audioOnly) await this.#videoSender.replaceTrack(null);
      await pc.setLocalDescription();
      this.#send({ type: "sfu-publish", description: describe(pc.localDescription) });
    });
  }

  published(description) {
    this.#queue(() => this.#publisher?.setRemoteDescription(description));
  }

  /** The SFU offers what we receive (again whenever someone starts or stops sending). */
  offer({ description, streams }) {
    this.#queue(async () => {
      for (const stream of streams) this.#feedOfMid.set(stream.mid, stream.feed);
      if (!this.#subscriber) {
        const pc = (this.#subscriber = new RTCPeerConnection(this.#ice));
        pc.onicecandidate = ({ candidate }) =>
          this.#send({ type: "sfu-candidate", target: "subscribe", candidate: candidate ? candidateInit(candidate) : null });
        pc.ontrack = (event) => this.#onTrack(event);
        pc.onconnectionstatechange = () => {
          for (const id of this.#streams.keys()) this.#emit("state", { id, state: pc.connectionState });
        };
      }
      await this.#subscriber.setRemoteDescription(description);
      await this.#subscriber.setLocalDescription();
      this.#send({ type: "sfu-subscribed", description: describe(this.#subscriber.localDescription) });
      this.#chooseLayers();
    });
  }

  speaking({ feed, speaking }) {
    if (!speaking || feed === this.#speaker) return;
    this.#speaker = feed;
    this.#emit("speaker", { id: feed });
    this.#chooseLayers();
  }

  /** Someone started or stopped sharing their screen: text must stay sharp. */
  setSharing(id, on) {
    if (on === this.#sharing.has(id)) return;
    if (on) this.#sharing.add(id);
    else this.#sharing.delete(id);
    this.#chooseLayers();
  }

  replaceVideoTrack(track) {
    this.#local.videoTrack = track;
    return this.#videoSender?.replaceTrack(this.#audioOnly ? null : track);
  }

  /** Audio only: send no video and receive none. */
  setAudioOnly(on) {
    this.#audioOnly = on;
    this.#videoSender?.replaceTrack(on ? null : this.#local.videoTrack).catch(() => {});
    this.#chooseLayers();
  }

  /** Keep sending our video, but receive nobody's (to save data). */
  setIncomingVideo(on) {
    this.#incomingVideo = on;
    this.#chooseLayers();
  }

  /** From the quality monitor: loss in what we receive decides whether we step down. */
  noteLoss(loss) {
    const lossy = loss !== null && loss > LOSSY;
    if (lossy === this.#lossy) return;
    this.#lossy = lossy;
    this.#chooseLayers();
  }

  forget(id) {
    this.#streams.delete(id);
    this.#chosen.delete(id);
  }

  closeAll() {
    this.#publisher?.close();
    this.#subscriber?.close();
    this.#publisher = this.#subscriber = this.#videoSender = null;
    this.#streams.clear();
    this.#chosen.clear();
  }

  #onTrack({ track, transceiver }) {
    const id = this.#feedOfMid.get(transceiver.mid);
    if (!id) return;
    let stream = this.#streams.get(id);
    if (!stream) this.#streams.set(id, (stream = new MediaStream()));
    for (const old of stream.getTracks().filter((t) => t.kind === track.kind)) stream.removeTrack(old);
    stream.addTrack(track);
    this.#emit("track", { id, stream });
  }

  #chooseLayers() {
    for (const id of new Set(this.#feedOfMid.values())) {
      // A few people get tiles big enough for the middle quality; a crowd, small ones.
      const large = id === this.#speaker || this.#sharing.has(id);
      let layer = large ? "high" : this.#streams.size <= 3 ? "medium" : "low";
      if (this.#lossy && layer === "high" && !this.#sharing.has(id)) layer = "medium";
      if (this.#audioOnly || !this.#incomingVideo) layer = "off";
      if (this.#chosen.get(id) === layer) continue;
      this.#chosen.set(id, layer);
      this.#send({ type: "sfu-receive", feed: id, layer });
    }
  }

  #queue(work) {
    this.#inbox = this.#inbox.then(work).catch((error) => console.warn("sfu", error));
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
