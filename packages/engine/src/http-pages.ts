// Test support: fetching pages over HTTP from inside a lab namespace, as a pod or client would,
// with Python's urllib (every lab node has python3; curl is not assumed). Each connection is
// fresh, so kube-proxy's random choice is made again for every line.
import { execInNamespace } from '@patchbay/kernel';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FETCH_SCRIPT = [
  'import urllib.request, sys',
  'for _ in range(int(sys.argv[2])):',
  '  try: print(urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[3])).read().decode().strip())',
  '  except Exception: print("-")',
].join('\n');

/** The bodies of `count` fresh connections from namespace `ns` to `url`, one per line ("-" for a
 *  failure). */
export async function pages(ns: string, url: string, count: number, timeoutS = 2): Promise<string[]> {
  const r = await execInNamespace(ns, ['python3', '-c', FETCH_SCRIPT, url, String(count), String(timeoutS)], {
    stdio: 'pipe',
  });
  return (r.stdout ?? '').trim().split('\n');
}

/** The one page `url` answers from namespace `ns`, or '' when nothing answers. */
export async function page(ns: string, url: string, timeoutS = 2): Promise<string> {
  const [body] = await pages(ns, url, 1, timeoutS);
  return body === undefined || body === '-' ? '' : body;
}

/** Waits until every url answers its expected body from `ns` (servers a lab's `run:` starts come
 *  up asynchronously); throws `what` after `ms`. */
export async function serversAnswer(ns: string, expected: Record<string, string>, what: string, ms = 10_000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
    const bodies = await Promise.all(Object.keys(expected).map((url) => page(ns, url)));
    if (bodies.every((b, i) => b === Object.values(expected)[i])) return;
  }
  throw new Error(what);
}

/** How many times each line occurs. */
export const lineCounts = (lines: string[]): Record<string, number> =>
  Object.fromEntries([...new Set(lines)].map((l) => [l, lines.filter((x) => x === l).length]));
