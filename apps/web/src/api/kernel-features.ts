// What the server's kernel can run (GET /api/kernel), asked once per page: the inspector disables
// a checkbox for a feature this kernel lacks and says why beside it, instead of letting the lab
// fail at Apply.
import type { KernelFeatures } from '@patchbay/protocol';
import type { KernelFeature } from '@patchbay/topology';
import { useEffect, useState } from 'react';
import { client } from './client';

let asked: Promise<KernelFeatures | undefined> | undefined;

/** The kernel's features; undefined until known (or when the server cannot say: nothing is disabled then). */
export function useKernelFeatures(): KernelFeatures | undefined {
  const [features, setFeatures] = useState<KernelFeatures>();
  useEffect(() => {
    asked ??= client.call('kernelFeatures').catch(() => {
      asked = undefined; // ask again next time (no token yet, server away)
      return undefined;
    });
    let live = true;
    void asked.then((f) => live && f && setFeatures(f));
    return () => {
      live = false;
    };
  }, []);
  return features;
}

/** Why `feature` cannot be used here, in words for the field; undefined when it can (or is not known). */
export function unavailableNote(features: KernelFeatures | undefined, feature: KernelFeature): string | undefined {
  const missing = features?.missing.find((m) => m.feature === feature);
  return missing
    ? `this server's kernel lacks ${missing.description}: a lab using it cannot be applied here`
    : undefined;
}
