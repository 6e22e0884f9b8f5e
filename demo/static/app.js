// PetitesAnnonces.be (Vigie demo): builds the classifieds pages from the JSON API.
// Data only ever goes through textContent / setAttribute, never parsed as HTML.
(function () {
  "use strict";

  var app = document.getElementById("app");

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

  function getJSON(url, onOk) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.onload = function () {
      if (xhr.status !== 200) { fail("Erreur " + xhr.status); return; }
      onOk(JSON.parse(xhr.responseText));
    };
    xhr.onerror = function () { fail("Erreur réseau"); };
    xhr.send();
  }

  function renderIndex() {
    var params = new URLSearchParams(window.location.search);
    var page = parseInt(params.get("page") || "1", 10);
    if (!(page >= 1)) { page = 1; }
    getJSON("/classifieds/api/listings?page=" + page, function (data) {
      app.textContent = "";
      app.appendChild(el("p", "count", data.total + " annonces – page " + data.page + " / " + data.pages));
      var list = el("ul", "listings");
      data.items.forEach(function (item) {
        var li = el("li", "listing-item");
        var a = el("a", "listing-link", item.title);
        a.setAttribute("href", item.url);
        li.appendChild(a);
        li.appendChild(el("span", "listing-meta", " " + item.category + " · " + item.postcode + " " + item.locality));
        list.appendChild(li);
      });
      app.appendChild(list);
      var nav = el("nav", "pagination");
      if (data.next) {
        var next = el("a", "next-page", "Page suivante");
        next.setAttribute("rel", "next");
        next.setAttribute("href", data.next);
        nav.appendChild(next);
      }
      app.appendChild(nav);
      document.body.dataset.ready = "1";
    });
  }

  function field(article, className, text) {
    if (text === undefined || text === null || text === "") { return; }
    article.appendChild(el("div", className, text));
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
      field(article, "listing-phone", item.phone);
      field(article, "listing-vat", item.vat);
      field(article, "listing-location", item.postcode + " " + item.locality);
      field(article, "listing-price", item.price);
      field(article, "listing-description", item.description);
      field(article, "listing-date", item.posted);
      app.appendChild(article);
      document.body.dataset.ready = "1";
    });
  }

  if (app.getAttribute("data-view") === "detail") { renderDetail(); } else { renderIndex(); }
})();
