// One RTCPeerConnection per other participant (a full mesh of at most 6 people).
//
// Who offers: the newcomer (docs/signaling.md). Later renegotiations (audio only, ICE restarts)
// can start on either side, so every connection follows "perfect negotiation": on an offer
// collision the polite peer (the one with the smaller id) rolls back and answers, the impolite
// one ignores the other's offer.
//
// Every connection carries exactly one audio and one video transceiver. Keeping them fixed means
// screen sharing is a replaceTrack (no renegotiation) and audio only is a direction change.
//
// Events: "track" {id, stream}, "state" {id, state} (the connection's connectionState).

import { candidateInit, describe } from "./rtc-messages.js";

const DISCONNECTED_GRACE_MS = 3000;

export class Mesh extends EventTarget {
  #peers = new Map();
  #selfId;
  #ice;
  #local;
  #sendSignal;
  #audioOnly = false;

  /**
   * @param local {{stream: MediaStream, audioTrack: MediaStreamTrack|null, videoTrack: MediaStreamTrack|null}}
   * @param sendSignal {(to: string, payload: object) => void}
   */
  constructor({ selfId, ice, local, sendSignal }) {
    super();
    this.#selfId = selfId;
    this.#ice = ice;
    this.#local = local;
    this.#sendSignal = sendSignal;
  }

  get connections() {
    return [...this.#peers.values()].map((peer) => peer.pc);
  }

  /** We are the newcomer: open a connection and make the offer. */
  offerTo(id) {
    const peer = this.#create(id);
    peer.audio = peer.pc.addTransceiver(this.#local.audioTrack ?? "audio", {
      direction: "sendrecv",
      streams: [this.#local.stream],
    });
    peer.video = peer.pc.addTransceiver(this.#local.videoTrack ?? "video", {
      direction: this.#videoDirection(),
      streams: [this.#local.stream],
    });
    // Adding the transceivers fires negotiationneeded, which sends the offer.
  }

  /** Someone joined (or came back): forget any old connection to them and wait for their offer. */
  expect(id) {
    this.#create(id);
  }

  drop(id) {
    const peer = this.#peers.get(id);
    if (!peer) return;
    this.#peers.delete(id);
    clearTimeout(peer.graceTimer);
    peer.pc.close();
    for (const track of peer.stream.getTracks()) peer.stream.removeTrack(track);
  }

  closeAll() {
    for (const id of [...this.#peers.keys()]) this.drop(id);
  }

  /** Signals from one peer are handled strictly in order: a candidate must not race ahead of
   * the description it belongs to. */
  handleSignal(from, payload) {
    let peer = this.#peers.get(from);
    if (!peer) {
      // An offer can only come from someone the server admitted; take it even if its
      // peer-joined was missed.
      if (payload.description?.type !== "offer") return Promise.resolve();
      peer = this.#create(from);
    }
    peer.inbox = peer.inbox
      .then(() => this.#process(peer, payload))
      .catch((error) => console.warn("signal from", from, error));
    return peer.inbox;
  }

  /** Send another video track (the screen instead of the camera, or back) to everyone. */
  async replaceVideoTrack(track) {
    this.#local.videoTrack = track;
    await Promise.all(
      [...this.#peers.values()].filter((peer) => peer.video).map((peer) => peer.video.sender.replaceTrack(track)),
    );
  }

  /** Audio only: neither send nor receive video. Changing the direction renegotiates. */
  setAudioOnly(on) {
    this.#audioOnly = on;
    for (const peer of this.#peers.values()) {
      if (peer.video && peer.pc.signalingState !== "closed") peer.video.direction = this.#videoDirection();
    }
  }

  #videoDirection() {
    return this.#audioOnly ? "inactive" : "sendrecv";
  }

  #create(id) {
    this.drop(id);
    const pc = new RTCPeerConnection(this.#ice);
    const peer = {
      id,
      pc,
      polite: this.#selfId < id,
      makingOffer: false,
      ignoreOffer: false,
      settingAnswer: false,
      audio: null,
      video: null,
      stream: new MediaStream(),
      inbox: Promise.resolve(),
      graceTimer: 0,
    };
    this.#peers.set(id, peer);

    pc.onnegotiationneeded = async () => {
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        this.#sendSignal(id, { description: describe(pc.localDescription) });
      } catch (error) {
        console.warn("offer to", id, error);
      } finally {
        peer.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      this.#sendSignal(id, { candidate: candidate ? candidateInit(candidate) : null });
    };
    pc.ontrack = ({ track }) => {
      if (!peer.stream.getTrackById(track.id)) peer.stream.addTrack(track);
      this.#emit("track", { id, stream: peer.stream });
    };
    pc.oniceconnectionstatechange = () => this.#watchIce(peer);
    pc.onconnectionstatechange = () => {
      if (this.#peers.get(id) === peer) this.#emit("state", { id, state: pc.connectionState });
    };
    return peer;
  }

  async #process(peer, { description, candidate }) {
    const { pc } = peer;
    if (this.#peers.get(peer.id) !== peer || pc.signalingState === "closed") return;
    if (description) {
      const readyForOffer = !peer.makingOffer && (pc.signalingState === "stable" || peer.settingAnswer);
      const collision = description.type === "offer" && !readyForOffer;
      peer.ignoreOffer = !peer.polite && collision;
      if (peer.ignoreOffer) return;
      peer.settingAnswer = description.type === "answer";
      try {
        // Implicit rollback: the polite peer drops its own pending offer here.
        await pc.setRemoteDescription(description);
      } finally {
        peer.settingAnswer = false;
      }
      if (description.type === "offer") {
        await this.#attachLocal(peer);
        await pc.setLocalDescription();
        this.#sendSignal(peer.id, { description: describe(pc.localDescription) });
      }
    } else if (candidate !== undefined) {
      try {
        await pc.addIceCandidate(candidate ?? undefined);
      } catch (error) {
        // Candidates of an offer we ignored are expected to fail.
        if (!peer.ignoreOffer) throw error;
      }
    }
  }

  /** The answering side's transceivers come from the offer; give them our tracks. */
  async #attachLocal(peer) {
    for (const transceiver of peer.pc.getTransceivers()) {
      if (transceiver.stopped || transceiver.direction === "stopped") continue;
      const kind = transceiver.receiver.track.kind;
      if (kind === "audio" && !peer.audio) peer.audio = transceiver;
      else if (kind === "video" && !peer.video) peer.video = transceiver;
      else continue;
      const track = kind === "audio" ? this.#local.audioTrack : this.#local.videoTrack;
      await transceiver.sender.replaceTrack(track ?? null);
      transceiver.sender.setStreams?.(this.#local.stream);
      transceiver.direction = kind === "video" ? this.#videoDirection() : "sendrecv";
    }
  }

  #watchIce(peer) {
    const { pc } = peer;
    clearTimeout(peer.graceTimer);
    if (this.#peers.get(peer.id) !== peer) return;
    if (pc.iceConnectionState === "failed") {
      pc.restartIce();
    } else if (pc.iceConnectionState === "disconnected") {
      // "disconnected" often heals by itself within a second or two (a Wi-Fi hiccup).
      peer.graceTimer = setTimeout(() => {
        if (pc.iceConnectionState === "disconnected") pc.restartIce();
      }, DISCONNECTED_GRACE_MS);
    }
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
