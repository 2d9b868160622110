// The open lab in the address (`/#lab=NAME`), kept in step both ways: opening or renaming a lab
// rewrites the address (without a history entry), and a new `#lab=` (a link followed, an address
// typed, Back) opens that lab.

/** The lab named by an address's hash (`#lab=NAME`), if any. */
export function labFromHash(hash: string): string | undefined {
  const name = new URLSearchParams(hash.replace(/^#/, '')).get('lab');
  return name ? name : undefined;
}

/** The hash that names `lab`, keeping the hash's other parameters. */
export function hashForLab(hash: string, lab: string): string {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  params.set('lab', lab);
  return `#${params.toString()}`;
}
