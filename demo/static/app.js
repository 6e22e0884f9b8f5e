// PetitesAnnonces.be (Vigie demo): builds the classifieds pages from the JSON API, the way
// real marketplaces do: a cookie-consent wall that blocks the page until "Tout accepter",
// an index that loads more listings when scrolled to the bottom (infinite scroll), and a
// phone number hidden behind a button that fetches it on demand.
// Data only ever goes through textContent / setAttribute, never parsed as HTML.
(function () {
  "use strict";

  var app = document.getElementById("app");
  var CONSENT_KEY = "pa-consent";
  var PHONE_LABELS = {fr: "Afficher le numéro", nl: "Toon nummer", en: "Show number"};
  var CONTACT_ONLY = {fr: "Contact par message uniquement", nl: "Enkel contact via bericht",
                      en: "Contact by message only"};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function fail(message) {
    app.textContent = "";
    app.appendChild(el("p", "error", message));
    document.body.dataset.ready = "error";
  }

  function getJSON(url, onOk, onError) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.onload = function () {
      if (xhr.status !== 200) { (onError || fail)("Erreur " + xhr.status); return; }
      onOk(JSON.parse(xhr.responseText));
    };
    xhr.onerror = function () { (onError || fail)("Erreur réseau"); };
    xhr.send();
  }

  // -- styles: listing cards tall enough that 20 of them overflow the window ------------------
  var style = el("style", null,
    ".listing-item{display:block;min-height:64px;margin:8px 0;padding:8px;" +
    "border:1px solid #ccc}" +
    ".cookie-wall{position:fixed;inset:0;z-index:1000;background:rgba(0,0,0,.6);" +
    "display:flex;align-items:center;justify-content:center}" +
    ".cookie-box{background:#fff;padding:24px;max-width:480px}" +
    ".show-phone{padding:6px 12px}");
  document.head.appendChild(style);

  // -- cookie wall ---------------------------------------------------------------------------
  function hasConsent() {
    var stored = null;
    try { stored = window.localStorage.getItem(CONSENT_KEY); } catch (e) { stored = null; }
    return stored === "1" || /(?:^|;\s*)pa_consent=1(?:;|$)/.test(document.cookie);
  }

  var consented = hasConsent();
  var onConsent = [];  // what the page was waiting for (e.g. loading more listings)

  function giveConsent(wall) {
    try { window.localStorage.setItem(CONSENT_KEY, "1"); } catch (e) { /* private mode */ }
    document.cookie = "pa_consent=1; path=/classifieds; max-age=31536000; SameSite=Lax";
    consented = true;
    wall.parentNode.removeChild(wall);
    document.documentElement.style.overflow = "";
    document.body.dataset.consent = "1";
    onConsent.forEach(function (callback) { callback(); });
  }

  function showCookieWall() {
    var wall = el("div", "cookie-wall");
    wall.id = "cookie-wall";
    wall.setAttribute("role", "dialog");
    wall.setAttribute("aria-modal", "true");
    var box = el("div", "cookie-box");
    box.appendChild(el("h2", null, "Vos données, vos choix / Uw gegevens, uw keuze"));
    box.appendChild(el("p", null, "Nous utilisons des cookies pour mesurer l'audience et " +
      "personnaliser les annonces. / Wij gebruiken cookies om het bezoek te meten."));
    var settings = el("button", "cookie-settings", "Personnaliser");
    settings.setAttribute("type", "button");
    var accept = el("button", "cookie-accept", "Tout accepter");
    accept.setAttribute("type", "button");
    accept.addEventListener("click", function () { giveConsent(wall); });
    box.appendChild(settings);
    box.appendChild(accept);
    wall.appendChild(box);
    document.body.appendChild(wall);
    document.documentElement.style.overflow = "hidden";
  }

  // -- index: page N, then more pages while scrolling to the bottom ---------------------------
  function renderIndex() {
    var params = new URLSearchParams(window.location.search);
    var page = parseInt(params.get("page") || "1", 10);
    if (!(page >= 1)) { page = 1; }
    var nextPage = null;
    var loading = false;
    var list = el("ul", "listings");
    var count = el("p", "count");
    var nav = el("nav", "pagination");

    function addItems(data) {
      data.items.forEach(function (item) {
        var li = el("li", "listing-item");
        var a = el("a", "listing-link", item.title);
        a.setAttribute("href", item.url);
        li.appendChild(a);
        li.appendChild(el("span", "listing-meta",
          " " + item.category + " · " + item.postcode + " " + item.locality));
        list.appendChild(li);
      });
      nextPage = data.next ? data.page + 1 : null;
      count.textContent = data.total + " annonces – " +
        list.children.length + " affichées (jusqu'à la page " + data.page + " / " +
        data.pages + ")";
      // The plain "next page" link (for browsers without scrolling, and for search engines)
      // always points after the last page shown.
      nav.textContent = "";
      if (data.next) {
        var next = el("a", "next-page", "Page suivante");
        next.setAttribute("rel", "next");
        next.setAttribute("href", data.next);
        nav.appendChild(next);
      } else {
        nav.appendChild(el("p", "listings-end", "Vous avez tout vu. / Dat was alles."));
      }
      document.body.dataset.loadedPage = String(data.page);
    }

    function loadMore() {
      if (loading || nextPage === null || !consented) { return; }
      loading = true;
      document.body.dataset.loading = "1";
      getJSON("/classifieds/api/listings?page=" + nextPage, function (data) {
        addItems(data);
        loading = false;
        delete document.body.dataset.loading;
      }, function (message) {
        loading = false;
        delete document.body.dataset.loading;
        nav.appendChild(el("p", "error", message));
      });
    }

    function atBottom() {
      var bottom = window.innerHeight + window.scrollY;
      if (bottom >= document.documentElement.scrollHeight - 200) { loadMore(); }
    }
    window.addEventListener("scroll", atBottom);
    onConsent.push(atBottom);

    getJSON("/classifieds/api/listings?page=" + page, function (data) {
      app.textContent = "";
      app.appendChild(count);
      app.appendChild(list);
      app.appendChild(nav);
      addItems(data);
      document.body.dataset.ready = "1";
    });
  }

  // -- detail: the phone number only on request -----------------------------------------------
  function field(article, className, text) {
    if (text === undefined || text === null || text === "") { return; }
    article.appendChild(el("div", className, text));
  }

  function phoneButton(article, item) {
    var language = PHONE_LABELS[item.language] ? item.language : "fr";
    if (!item.has_phone) {
      article.appendChild(el("p", "listing-contact-only", CONTACT_ONLY[language]));
      return;
    }
    var button = el("button", "show-phone", PHONE_LABELS[language]);
    button.setAttribute("type", "button");
    button.addEventListener("click", function () {
      button.disabled = true;
      getJSON("/classifieds/api/listings/" + item.id + "/phone", function (data) {
        var phone = el("div", "listing-phone", data.phone);
        button.parentNode.replaceChild(phone, button);
        document.body.dataset.phone = "shown";
      }, function (message) {
        button.disabled = false;
        article.appendChild(el("p", "error", message));
      });
    });
    article.appendChild(button);
  }

  function renderDetail() {
    var match = window.location.pathname.match(/\/classifieds\/listing\/(\d+)\/?$/);
    if (!match) { fail("Annonce introuvable"); return; }
    getJSON("/classifieds/api/listings/" + match[1], function (item) {
      app.textContent = "";
      var article = el("article", "listing");
      article.setAttribute("data-id", String(item.id));
      article.appendChild(el("h1", "listing-title", item.title));
      field(article, "listing-category", item.category);
      field(article, "listing-provider", item.provider);
      phoneButton(article, item);
      field(article, "listing-vat", item.vat);
      field(article, "listing-location", item.postcode + " " + item.locality);
      field(article, "listing-price", item.price);
      field(article, "listing-description", item.description);
      field(article, "listing-date", item.posted);
      app.appendChild(article);
      document.body.dataset.ready = "1";
    });
  }

  if (!consented) { showCookieWall(); }
  if (app.getAttribute("data-view") === "detail") { renderDetail(); } else { renderIndex(); }
})();
