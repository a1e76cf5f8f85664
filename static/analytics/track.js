// The store website's first-party tracking: include it on every page of the store, with the back
// office's endpoint,
//   <script src="https://backoffice.example/static/analytics/track.js"
//           data-endpoint="https://backoffice.example/analytics/collect/" defer></script>
// It sends a page view as the page loads, and what the page tells it with
//   lojaTrack("product_view", {sku: "CAM-001"}); lojaTrack("add_to_cart", {sku: "CAM-001"});
//   lojaTrack("checkout_start");
// (calls made before it loads are kept when the page defines the queue first:
//   window.lojaTrack = window.lojaTrack || function () { (lojaTrack.q = lojaTrack.q || []).push(arguments); };)
// Anonymous: a random id per browser tab, kept in sessionStorage; no cookie, no third party, no query
// string, only the referring site's host. A browser asking not to be tracked sends nothing.
(function () {
  "use strict";
  var script = document.currentScript;
  var endpoint = script && script.dataset.endpoint;
  var KINDS = ["page_view", "product_view", "add_to_cart", "checkout_start"];
  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var queued = (window.lojaTrack && window.lojaTrack.q) || [];
  var session;

  function newSession() {
    var bytes = crypto.getRandomValues(new Uint8Array(22));
    return Array.prototype.map.call(bytes, function (b) { return ALPHABET[b & 63]; }).join("");
  }

  function sessionId() {
    if (session) return session;
    try {
      session = sessionStorage.getItem("lojaTrack.session");
      if (!session) sessionStorage.setItem("lojaTrack.session", (session = newSession()));
    } catch (e) {
      session = newSession(); // storage refused (private mode): an id for this page only
    }
    return session;
  }

  function referrerHost() {
    try {
      var host = new URL(document.referrer).hostname;
      return host !== location.hostname ? host : "";
    } catch (e) {
      return ""; // no referrer
    }
  }

  function send(kind, data) {
    if (KINDS.indexOf(kind) < 0) return;
    var event = {kind: kind, session: sessionId(), path: location.pathname.slice(0, 300)};
    if (data && data.sku) event.sku = String(data.sku).slice(0, 60);
    if (kind === "page_view" && referrerHost()) event.referrer = referrerHost();
    var body = JSON.stringify(event);
    // text/plain: a simple request, sent without a CORS preflight.
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], {type: "text/plain"}))) return;
    fetch(endpoint, {method: "POST", body: body, keepalive: true, credentials: "omit",
                     headers: {"Content-Type": "text/plain"}}).catch(function () {});
  }

  var track = !endpoint || navigator.doNotTrack === "1" ? function () {} : send;
  window.lojaTrack = track;
  track("page_view");
  queued.forEach(function (args) { track.apply(null, args); });
})();
