/* The border desk's field app: works offline after one online login.
 *
 * Data lives in IndexedDB ("crisisdesk-desk"): the device token and sync state (meta), the
 * field pack (persons), and the events waiting to sync (queue). Every action is an event
 * with a UUID made here and this device's clock time; it is queued first and sent later, so
 * closing the tab or rebooting loses nothing. The server applies each event once, however
 * often it is sent (docs/subsystems/offline-sync.md).
 *
 * Search runs on the field pack with NameKeys (namekeys.js), the same letter keys as the
 * server's name matching, tested against one set of golden vectors.
 */
(function () {
  "use strict";

  const root = document.getElementById("desk");
  if (!root) {
    return;
  }
  const cfg = root.dataset;
  const DB_NAME = "crisisdesk-desk";
  const BATCH = 200;
  const RESULTS = 10;
  const MIN_SCORE = 55;

  // --- IndexedDB --------------------------------------------------------------------------

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("meta");
        db.createObjectStore("persons", { keyPath: "id" });
        db.createObjectStore("queue", { keyPath: "id" });
        db.createObjectStore("log", { keyPath: "id" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  let dbPromise = null;
  function db() {
    dbPromise = dbPromise || openDb();
    return dbPromise;
  }

  async function tx(stores, mode, work) {
    const database = await db();
    return new Promise((resolve, reject) => {
      const transaction = database.transaction(stores, mode);
      let result;
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
      result = work(transaction);
    });
  }

  function all(store) {
    return tx([store], "readonly", (t) => {
      const request = t.objectStore(store).getAll();
      const holder = { value: [] };
      request.onsuccess = () => {
        holder.value = request.result;
      };
      return holder;
    }).then((holder) => holder.value);
  }

  function metaGet(key) {
    return tx(["meta"], "readonly", (t) => {
      const holder = { value: undefined };
      const request = t.objectStore("meta").get(key);
      request.onsuccess = () => {
        holder.value = request.result;
      };
      return holder;
    }).then((holder) => holder.value);
  }

  function metaSet(key, value) {
    return tx(["meta"], "readwrite", (t) => {
      t.objectStore("meta").put(value, key);
    });
  }

  // --- state shown on the page ------------------------------------------------------------

  let persons = []; // the field pack, each with its name tokens made once
  let tablesReady = false;

  function show(id, text) {
    const element = document.getElementById(id);
    if (element) {
      element.textContent = text;
    }
  }

  function alertShow(text) {
    const element = document.getElementById("desk-alert");
    element.textContent = text || "";
    element.hidden = !text;
  }

  function timeText(iso) {
    return iso ? new Date(iso).toLocaleString() : cfg.msgNever;
  }

  async function statusRefresh() {
    const queue = await all("queue");
    show("desk-queue", String(queue.length));
    show("desk-last-sync", timeText(await metaGet("lastSync")));
    const pack = await metaGet("pack");
    show("desk-pack-count", String(persons.length));
    show("desk-pack-expires", pack ? timeText(pack.expires_at) : "—");
    const network = document.getElementById("desk-network");
    network.textContent = navigator.onLine ? cfg.msgOnline : cfg.msgOffline;
    network.className = "badge " + (navigator.onLine ? "text-bg-success" : "text-bg-secondary");
    root.dataset.queue = String(queue.length);
    root.dataset.pack = String(persons.length);
  }

  async function logAdd(entry) {
    await tx(["log"], "readwrite", (t) => {
      t.objectStore("log").put(entry);
    });
    await logRender();
  }

  async function logRender() {
    const entries = (await all("log")).sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, 50);
    const list = document.getElementById("desk-log");
    list.replaceChildren(
      ...entries.map((entry) => {
        const item = document.createElement("li");
        item.className = "list-group-item";
        item.dataset.status = entry.status;
        const statusText =
          {
            queued: cfg.msgQueued,
            applied: cfg.msgApplied,
            already: cfg.msgAlready,
            conflict: cfg.msgConflict,
          }[entry.status] ||
          entry.message ||
          entry.status;
        item.textContent = `${new Date(entry.at).toLocaleTimeString()} · ${entry.summary} · ${statusText}`;
        return item;
      }),
    );
  }

  // --- the token, the name tables and the field pack --------------------------------------

  async function tokenEnsure() {
    const stored = await metaGet("token");
    if (stored && stored.user === cfg.user) {
      return stored.token;
    }
    if (!navigator.onLine) {
      return null;
    }
    const body = new URLSearchParams({ device: navigator.userAgent.slice(0, 60) });
    const response = await fetch(cfg.urlDevice, {
      method: "POST",
      headers: { "X-CSRFToken": cfg.csrf },
      body,
      credentials: "same-origin",
    });
    if (!response.ok) {
      return null;
    }
    const issued = await response.json();
    await metaSet("token", { token: issued.token, user: issued.user });
    return issued.token;
  }

  async function tablesEnsure() {
    if (tablesReady) {
      return true;
    }
    let tables = await metaGet("nameTables");
    if (!tables && navigator.onLine) {
      const response = await fetch(cfg.urlTables, { credentials: "same-origin" });
      if (response.ok) {
        tables = await response.json();
        await metaSet("nameTables", tables);
      }
    }
    if (!tables) {
      return false;
    }
    globalThis.NameKeys.init(tables);
    tablesReady = true;
    return true;
  }

  function searchable(record) {
    const names = [[record.given, record.family], ...(record.spellings || [])];
    record.tokenLists = names.map(([given, family]) => globalThis.NameKeys.splitTokens(`${given} ${family}`));
    return record;
  }

  async function packLoad() {
    const pack = await metaGet("pack");
    if (pack && new Date(pack.expires_at) < new Date()) {
      await packWipe();
      alertShow(cfg.msgPackExpired);
      return;
    }
    persons = (await all("persons")).map(searchable);
  }

  async function packWipe() {
    await tx(["persons", "meta"], "readwrite", (t) => {
      t.objectStore("persons").clear();
      t.objectStore("meta").delete("pack");
    });
    persons = [];
  }

  async function packDownload() {
    const token = await tokenEnsure();
    if (!token) {
      return;
    }
    const point = document.getElementById("desk-point").value;
    const response = await fetch(`${cfg.urlPack}?point=${encodeURIComponent(point)}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!response.ok) {
      alertShow(`${response.status}`);
      return;
    }
    const pack = await response.json();
    const fields = pack.fields;
    // Someone registered here stays searchable until the server has them (then the pack does).
    const waiting = new Set((await all("queue")).map((row) => row.id));
    const local = (await all("persons")).filter((record) => record.local && waiting.has(record.event));
    await tx(["persons", "meta"], "readwrite", (t) => {
      const store = t.objectStore("persons");
      store.clear();
      for (const row of pack.persons) {
        const record = {};
        fields.forEach((name, index) => {
          record[name] = row[index];
        });
        store.put(record);
      }
      for (const record of local) {
        store.put(stripped(record));
      }
      t.objectStore("meta").put(
        { generated_at: pack.generated_at, expires_at: pack.expires_at, point: pack.point, count: pack.persons.length },
        "pack",
      );
    });
    alertShow("");
    await packLoad();
    await statusRefresh();
  }

  function stripped(record) {
    const copy = { ...record };
    delete copy.tokenLists;
    return copy;
  }

  // --- search -----------------------------------------------------------------------------

  function referenceOf(text) {
    // A reference as printed (ABCD-EFGH), typed with spaces, or read from its QR code.
    const compact = text.replace(/[\s-]/g, "").toUpperCase();
    return /^[A-Z0-9]{6,12}$/.test(compact) ? compact : null;
  }

  function search(text) {
    const reference = referenceOf(text);
    if (reference) {
      const household = persons.filter((record) => record.reference === reference);
      if (household.length) {
        return household.map((record) => [100, record]);
      }
    }
    const query = globalThis.NameKeys.splitTokens(text);
    if (!query.length) {
      return [];
    }
    const scored = [];
    for (const record of persons) {
      let best = 0;
      for (const tokens of record.tokenLists) {
        const score = globalThis.NameKeys.offlineTokensSimilarity(query, tokens);
        if (score > best) {
          best = score;
        }
      }
      if (best >= MIN_SCORE) {
        scored.push([best, record]);
      }
    }
    scored.sort((a, b) => b[0] - a[0]);
    return scored.slice(0, RESULTS);
  }

  function resultItem(score, record) {
    const item = document.createElement("li");
    item.className = "list-group-item d-flex flex-wrap align-items-center gap-2";
    item.dataset.testid = "desk-result";
    item.dataset.person = String(record.id);
    const name = document.createElement("bdi");
    name.className = "fw-semibold";
    name.textContent = `${record.given} ${record.family}`.trim();
    const details = document.createElement("span");
    details.className = "small text-body-secondary";
    const spellings = (record.spellings || []).map((pair) => pair.join(" ").trim()).join(" / ");
    details.textContent = [
      record.birth_year || "",
      record.reference || "",
      record.local ? cfg.msgRegisteredHere : "",
      spellings,
      (record.flags || []).join(", "),
      `${Math.round(score)}`,
    ]
      .filter(Boolean)
      .join(" · ");
    const badges = [];
    if (record.checked_in_at) {
      // Checked in on this device: a second tap would be recorded, and counted once by the server.
      const badge = document.createElement("span");
      badge.className = "badge text-bg-success";
      badge.dataset.testid = "desk-checked-in";
      badge.textContent = `${cfg.msgCheckedIn} ${new Date(record.checked_in_at).toLocaleTimeString()}`;
      badges.push(badge);
    }
    const buttons = document.createElement("span");
    buttons.className = "ms-auto d-flex gap-1";
    buttons.append(button(cfg.msgCheckIn, "desk-check-in", () => checkIn(record)));
    if (record.household) {
      buttons.append(button(cfg.msgHousehold, "desk-check-in-household", () => householdCheckIn(record)));
    }
    const needs = document.createElement("select");
    needs.className = "form-select form-select-sm w-auto";
    needs.setAttribute("aria-label", cfg.msgNeed);
    for (const kind of ["transport", "medical", "shelter", "other"]) {
      const option = document.createElement("option");
      option.value = kind;
      option.textContent = cfg[`msgNeed${kind[0].toUpperCase()}${kind.slice(1)}`] || kind;
      needs.append(option);
    }
    buttons.append(needs, button(cfg.msgNeed, "desk-need", () => need(record, needs.value)));
    buttons.append(button(cfg.msgStaying, "desk-staying", () => staying(record)));
    if (intakeForm()) {
      buttons.append(button(cfg.msgIntakeAdd, "desk-intake-add", () => intakeAdd([record])));
      if (record.household) {
        buttons.append(
          button(cfg.msgIntakeAddHousehold, "desk-intake-add-household", () =>
            intakeAdd(persons.filter((member) => member.household === record.household)),
          ),
        );
      }
    }
    item.append(name, details, ...badges, buttons);
    return item;
  }

  function button(text, testid, action) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "btn btn-sm btn-outline-primary";
    element.textContent = text;
    element.dataset.testid = testid;
    element.addEventListener("click", action);
    return element;
  }

  function searchRender() {
    const text = document.getElementById("desk-search").value;
    const list = document.getElementById("desk-results");
    if (!text.trim() || !tablesReady) {
      list.replaceChildren();
      return;
    }
    const found = search(text);
    if (!found.length) {
      const item = document.createElement("li");
      item.className = "list-group-item text-body-secondary";
      item.dataset.testid = "desk-no-match";
      item.textContent = cfg.msgNoMatch;
      list.replaceChildren(item);
      return;
    }
    list.replaceChildren(...found.map(([score, record]) => resultItem(score, record)));
  }

  // --- scanning a reference's QR code ------------------------------------------------------

  let scanning = null;

  // The browser's own reader where there is one (Android's Chrome), jsQR on a canvas elsewhere.
  function frameReader(video) {
    if ("BarcodeDetector" in globalThis) {
      const detector = new globalThis.BarcodeDetector({ formats: ["qr_code"] });
      return async () => {
        const codes = await detector.detect(video).catch(() => []);
        return codes.length ? codes[0].rawValue : null;
      };
    }
    if (typeof globalThis.jsQR !== "function") {
      return null;
    }
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return async () => {
      if (!video.videoWidth) {
        return null;
      }
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const frame = context.getImageData(0, 0, canvas.width, canvas.height);
      const code = globalThis.jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" });
      return code ? code.data : null;
    };
  }

  async function scanStart() {
    const video = document.getElementById("desk-scan-video");
    const read = navigator.mediaDevices ? frameReader(video) : null;
    if (!read) {
      alertShow(cfg.msgScanUnsupported);
      document.getElementById("desk-search").focus();
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (error) {
      alertShow(cfg.msgScanUnsupported);
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    scanning = stream;
    const look = async () => {
      if (scanning !== stream) {
        return;
      }
      const text = await read();
      if (text) {
        scanStop();
        document.getElementById("desk-search").value = text;
        searchRender();
        return;
      }
      requestAnimationFrame(look);
    };
    look();
  }

  function scanStop() {
    const video = document.getElementById("desk-scan-video");
    if (scanning) {
      scanning.getTracks().forEach((track) => track.stop());
    }
    scanning = null;
    video.hidden = true;
    video.srcObject = null;
  }

  // --- events -----------------------------------------------------------------------------

  function point() {
    return document.getElementById("desk-point").value;
  }

  function direction() {
    return document.getElementById("desk-direction").value;
  }

  function personRef(record) {
    return record.local ? { person_event: record.event } : { person_id: record.id };
  }

  async function enqueue(kind, payload, summary) {
    const event = { id: crypto.randomUUID(), kind, device_time: new Date().toISOString(), payload };
    await tx(["queue", "log"], "readwrite", (t) => {
      t.objectStore("queue").put({ id: event.id, event, queued_at: event.device_time });
      t.objectStore("log").put({ id: event.id, at: event.device_time, summary, status: "queued" });
    });
    await logRender();
    await statusRefresh();
    if (navigator.onLine) {
      sync();
    }
    return event;
  }

  function fullName(record) {
    return `${record.given} ${record.family}`.trim();
  }

  async function markCheckedIn(records) {
    const at = new Date().toISOString();
    await tx(["persons"], "readwrite", (t) => {
      for (const record of records) {
        record.checked_in_at = at;
        t.objectStore("persons").put(stripped(record));
      }
    });
    searchRender();
  }

  async function checkIn(record) {
    await enqueue("check_in", { ...personRef(record), point: point(), direction: direction() }, `✓ ${fullName(record)}`);
    await markCheckedIn([record]);
  }

  async function householdCheckIn(record) {
    await enqueue(
      "household_check_in",
      { household_id: record.household, point: point(), direction: direction() },
      `✓✓ ${fullName(record)}`,
    );
    await markCheckedIn(persons.filter((member) => member.household === record.household));
  }

  function need(record, kind) {
    return enqueue("need", { ...personRef(record), kinds: [kind], point: point() }, `${kind}: ${fullName(record)}`);
  }

  function staying(record) {
    return enqueue("staying", { ...personRef(record), point: point() }, `${cfg.msgStaying}: ${fullName(record)}`);
  }

  function formValues(form) {
    return Object.fromEntries(new FormData(form).entries());
  }

  async function tallySubmit(event) {
    event.preventDefault();
    const values = formValues(event.target);
    await enqueue(
      "tally",
      {
        point: point(),
        direction: direction(),
        nationals: Number(values.nationals || 0),
        children: Number(values.children || 0),
        others: Number(values.others || 0),
        description: values.description || "",
      },
      `Σ ${values.nationals} ${values.description || ""}`.trim(),
    );
    event.target.reset();
  }

  async function registerSubmit(event) {
    event.preventDefault();
    const values = formValues(event.target);
    const citizenships = (values.citizenships || "")
      .split(/[\s,]+/)
      .map((code) => code.trim().toUpperCase())
      .filter(Boolean);
    const payload = {
      given_name: values.given_name || "",
      family_name: values.family_name || "",
      sex: values.sex || "U",
      citizenships,
      point: point(),
    };
    if (values.birth) {
      payload.birth = values.birth;
    }
    const queued = await enqueue("quick_register", payload, `+ ${payload.given_name} ${payload.family_name}`);
    // The new person is searchable here at once, named by the event until the server gives an id.
    const record = searchable({
      id: `local:${queued.id}`,
      event: queued.id,
      local: true,
      given: payload.given_name,
      family: payload.family_name,
      spellings: [],
      birth_year: values.birth ? Number(values.birth) : null,
      reference: "",
      household: null,
      intent: "unknown",
      status: "registered",
      flags: [],
    });
    await tx(["persons"], "readwrite", (t) => {
      t.objectStore("persons").put(stripped(record));
    });
    persons.push(record);
    event.target.reset();
    await statusRefresh();
  }

  // --- an immigration request: the people it names, chosen from the search ---------------
  //
  // The draft is kept in IndexedDB, so a reload (offline) does not lose whom the officer added.

  let intakePeople = [];

  function intakeForm() {
    return document.getElementById("desk-intake");
  }

  function intakeEntry(record) {
    return { id: record.id, event: record.event, local: Boolean(record.local), given: record.given, family: record.family };
  }

  async function intakeAdd(records) {
    const listed = new Set(intakePeople.map((entry) => String(entry.id)));
    for (const record of records) {
      if (!listed.has(String(record.id))) {
        intakePeople.push(intakeEntry(record));
        listed.add(String(record.id));
      }
    }
    await metaSet("intakeDraft", intakePeople);
    intakeRender();
  }

  async function intakeRemove(id) {
    intakePeople = intakePeople.filter((entry) => String(entry.id) !== String(id));
    await metaSet("intakeDraft", intakePeople);
    intakeRender();
  }

  function intakeRender() {
    const list = document.getElementById("desk-intake-people");
    if (!list) {
      return;
    }
    const form = intakeForm();
    const named = Boolean(`${form.elements.given_name.value}${form.elements.family_name.value}`.trim());
    list.replaceChildren(
      ...intakePeople.map((entry, index) => {
        const item = document.createElement("li");
        item.className = "list-group-item d-flex align-items-center gap-2";
        item.dataset.testid = "desk-intake-person";
        item.dataset.person = String(entry.id);
        const name = document.createElement("bdi");
        name.textContent = fullName(entry);
        const role = document.createElement("span");
        role.className = "small text-body-secondary";
        role.textContent = index === 0 && !named ? cfg.msgIntakeApplicant : cfg.msgIntakeFamily;
        const remove = button(cfg.msgIntakeRemove, "desk-intake-remove", () => intakeRemove(entry.id));
        remove.className = "btn btn-sm btn-outline-secondary ms-auto";
        item.append(name, role, remove);
        return item;
      }),
    );
    list.hidden = !intakePeople.length;
    // The family may be larger than those listed (someone still inside), never smaller.
    const size = form.elements.family_size;
    size.min = String(Math.max(1, intakePeople.length + (named ? 1 : 0)));
    if (Number(size.value || 0) < Number(size.min)) {
      size.value = size.min;
    }
    root.dataset.intakePeople = String(intakePeople.length);
  }

  async function intakeSubmit(event) {
    event.preventDefault();
    const values = formValues(event.target);
    const given = (values.given_name || "").trim();
    const family = (values.family_name || "").trim();
    if (!given && !family && !intakePeople.length) {
      alertShow(cfg.msgIntakeEmpty);
      return;
    }
    const listed = intakePeople.length + (given || family ? 1 : 0);
    const first = intakePeople[0];
    await enqueue(
      "intake",
      {
        given_name: given,
        family_name: family,
        family_size: Math.max(Number(values.family_size || 1), listed),
        basis: values.basis || "",
        members: intakePeople.map(personRef),
        point: point(),
      },
      `→ ${given || family ? `${given} ${family}`.trim() : fullName(first)} (${listed})`,
    );
    alertShow("");
    event.target.reset();
    intakePeople = [];
    await metaSet("intakeDraft", intakePeople);
    intakeRender();
  }

  // --- sync -------------------------------------------------------------------------------

  let syncing = null;

  function sync() {
    syncing = syncing || syncOnce().finally(() => {
      syncing = null;
    });
    return syncing;
  }

  async function syncOnce() {
    if (!navigator.onLine) {
      return;
    }
    const token = await tokenEnsure();
    if (!token) {
      return;
    }
    const queued = (await all("queue")).sort((a, b) => (a.queued_at < b.queued_at ? -1 : 1));
    // Batches in the order recorded: a check-in of someone registered here comes after the registration.
    for (let start = 0; start < queued.length; start += BATCH) {
      const batch = queued.slice(start, start + BATCH);
      let response;
      try {
        response = await fetch(cfg.urlSync, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ device: navigator.userAgent.slice(0, 60), events: batch.map((row) => row.event) }),
        });
      } catch (error) {
        alertShow(cfg.msgSyncFailed);
        return;
      }
      if (!response.ok) {
        alertShow(`${cfg.msgSyncFailed} (${response.status})`);
        return;
      }
      const answer = await response.json();
      await tx(["queue", "log", "persons"], "readwrite", (t) => {
        for (const result of answer.results) {
          if (!result.id) {
            continue;
          }
          // Every answer means the server holds the event (applied, rejected with a reason,
          // or kept as a conflict), so it leaves the queue; the log keeps what became of it.
          t.objectStore("queue").delete(result.id);
          const log = t.objectStore("log");
          const request = log.get(result.id);
          request.onsuccess = () => {
            const entry = request.result || { id: result.id, at: new Date().toISOString(), summary: "" };
            entry.status = result.status;
            entry.message = result.message;
            log.put(entry);
          };
        }
      });
      await metaSet("lastSync", answer.server_time);
    }
    alertShow("");
    await logRender();
    await statusRefresh();
  }

  // --- sign-out ---------------------------------------------------------------------------

  async function signOut() {
    const stored = await metaGet("token");
    if (stored && navigator.onLine) {
      await sync();
      try {
        await fetch(cfg.urlSignOut, { method: "POST", headers: { Authorization: `Bearer ${stored.token}` } });
      } catch (error) {
        // Offline: the token stays valid until the desk chief revokes it, but the data goes now.
      }
    }
    const pending = (await all("queue")).length;
    if (pending && !window.confirm(cfg.msgWipePending)) {
      return;
    }
    if (dbPromise) {
      (await dbPromise).close();
      dbPromise = null;
    }
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
    if ("caches" in window) {
      for (const key of await caches.keys()) {
        await caches.delete(key);
      }
    }
    const form = document.createElement("form");
    form.method = "post";
    form.action = cfg.urlLogout;
    const csrf = document.createElement("input");
    csrf.type = "hidden";
    csrf.name = "csrfmiddlewaretoken";
    csrf.value = cfg.csrf;
    form.append(csrf);
    document.body.append(form);
    form.submit();
  }

  // --- the service worker -----------------------------------------------------------------

  async function workerEnsure() {
    if (!("serviceWorker" in navigator)) {
      return;
    }
    const registration = await navigator.serviceWorker.register(cfg.urlSw, { scope: "/desk/" });
    const worker = registration.active || registration.waiting || registration.installing;
    await navigator.serviceWorker.ready;
    // What this page loaded before the worker was there: the shell and its files, kept now.
    const urls = [
      location.pathname,
      cfg.urlTables,
      ...performance
        .getEntriesByType("resource")
        .map((entry) => new URL(entry.name).pathname)
        .filter((path) => path.startsWith("/static/")),
    ];
    (navigator.serviceWorker.controller || worker || registration.active).postMessage({ cache: urls });
  }

  // --- start ------------------------------------------------------------------------------

  async function start() {
    document.getElementById("desk-search").addEventListener("input", searchRender);
    document.getElementById("desk-scan").addEventListener("click", () => (scanning ? scanStop() : scanStart()));
    document.getElementById("desk-tally").addEventListener("submit", tallySubmit);
    document.getElementById("desk-register").addEventListener("submit", registerSubmit);
    if (intakeForm()) {
      intakeForm().addEventListener("submit", intakeSubmit);
      intakeForm().addEventListener("input", intakeRender);
      intakePeople = (await metaGet("intakeDraft")) || [];
      intakeRender();
    }
    document.getElementById("desk-sync").addEventListener("click", () => sync());
    document.getElementById("desk-pack-download").addEventListener("click", () => packDownload());
    document.getElementById("desk-sign-out").addEventListener("click", () => signOut());
    window.addEventListener("online", () => {
      statusRefresh();
      sync();
    });
    window.addEventListener("offline", statusRefresh);
    const chosen = await metaGet("point");
    if (chosen) {
      document.getElementById("desk-point").value = chosen;
    }
    document.getElementById("desk-point").addEventListener("change", (event) => metaSet("point", event.target.value));
    if (navigator.storage && navigator.storage.persist) {
      // Ask the browser not to evict the queue and the pack when the device runs short of space.
      navigator.storage.persist().catch(() => false);
    }
    await tablesEnsure();
    await packLoad();
    if (navigator.onLine) {
      await tokenEnsure();
      if (!(await metaGet("pack"))) {
        await packDownload();
      }
    }
    await logRender();
    await statusRefresh();
    try {
      await workerEnsure();
    } catch (error) {
      // Without a service worker the app still works online; offline it cannot reopen.
    }
    root.dataset.ready = "true";
    if (navigator.onLine) {
      sync();
    }
  }

  start();
})();
