// The token (API.md): taken once from the address (`/?token=…`, as the server prints it), kept in
// localStorage, and removed from the address bar so it is not bookmarked or shared by accident.
const KEY = 'patchbay.token';

export function takeTokenFromAddress(): void {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (!token) return;
  localStorage.setItem(KEY, token);
  url.searchParams.delete('token');
  window.history.replaceState(null, '', url.pathname + (url.search ? url.search : '') + url.hash);
}

export const getToken = (): string | null => localStorage.getItem(KEY);
export const setToken = (token: string): void => localStorage.setItem(KEY, token);
export const forgetToken = (): void => localStorage.removeItem(KEY);
