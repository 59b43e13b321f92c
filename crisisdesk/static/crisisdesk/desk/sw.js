/* The border desk's service worker (scope /desk/): keeps the app's shell and files so that
 * it opens with no network, after one online visit.
 *
 * The page tells the worker what it loaded (a message with the URLs), because the first
 * visit happens before the worker controls the page. Then:
 *  - the shell (/desk/): network first, the kept copy when the network is gone;
 *  - static files: the kept copy first (their names carry a hash of their content);
 *  - anything else (the API): never cached here. Data lives in IndexedDB, not in this cache.
 */
"use strict";

const CACHE = "crisisdesk-desk-v1";

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  const urls = (event.data && event.data.cache) || [];
  const sameOrigin = urls.filter((url) => url.startsWith("/desk") || url.startsWith("/static/"));
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all(
        sameOrigin.map((url) =>
          fetch(url, { credentials: "same-origin" })
            .then((response) => (response.ok ? cache.put(url, response) : null))
            .catch(() => null),
        ),
      ),
    ),
  );
});

function shell(request) {
  return fetch(request)
    .then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(new URL(request.url).pathname, copy));
      }
      return response;
    })
    .catch(() => caches.match(new URL(request.url).pathname).then((kept) => kept || Response.error()));
}

function kept(request) {
  return caches.match(request).then(
    (found) =>
      found ||
      fetch(request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      }),
  );
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (url.pathname === "/desk/" || url.pathname === "/desk/name-tables.json") {
    event.respondWith(shell(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(kept(request));
  }
});
