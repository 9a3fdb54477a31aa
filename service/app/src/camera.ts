import { createBrowserFacePipeline, grabVideoFrame, MESSAGES, type FacePipeline, type FaceSuccess, type FailureReason } from '@chehra/sdk/browser';
import { language } from './i18n.js';

/**
 * The camera and the on-device pipeline. Frames go from the <video> straight into the pipeline
 * as RGBA; each refused frame's reason becomes a live prompt ("move closer", "too dark"), and
 * the first accepted frame's result is handed back. No frame is drawn to the page, kept or
 * written anywhere; the pipeline wipes its pixel buffers after each frame.
 */

let pipeline: Promise<FacePipeline> | undefined;

/** Models are public and verified by hash, so they may stay loaded between sign-ins. */
export function facePipeline(): Promise<FacePipeline> {
  pipeline ??= createBrowserFacePipeline().catch((err) => {
    pipeline = undefined;
    throw err;
  });
  return pipeline;
}

export function prompt(reason: FailureReason): string {
  const m = MESSAGES[reason];
  return language() === 'hi' ? m.hi : m.en;
}

export interface CaptureHandle {
  /** Resolves with the first frame the pipeline accepts; rejects if the camera fails. */
  result: Promise<FaceSuccess>;
  stop(): void;
}

export function startCapture(video: HTMLVideoElement, onPrompt: (text: string) => void, frameGapMs = 150): CaptureHandle {
  let stopped = false;
  let stream: MediaStream | undefined;
  const stop = () => {
    stopped = true;
    for (const track of stream?.getTracks() ?? []) track.stop();
    video.srcObject = null;
  };
  const result = (async () => {
    const ready = facePipeline();
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    if (stopped) throw new Error('stopped');
    video.srcObject = stream;
    await video.play();
    const p = await ready;
    while (!stopped) {
      const frame = grabVideoFrame(video, 640);
      if (frame) {
        const res = await p.process(frame);
        frame.data.fill(0);
        if (res.ok) {
          if (stopped) {
            res.embedding.fill(0);
            break;
          }
          stop();
          return res;
        }
        if (!stopped) onPrompt(prompt(res.reason));
      }
      await new Promise((r) => setTimeout(r, frameGapMs));
    }
    throw new Error('stopped');
  })();
  result.catch(stop);
  return { result, stop };
}
