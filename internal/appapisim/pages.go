package appapisim

import (
	"fmt"
	"html"
	"net/http"
)

// simplePage renders a minimal Nextcloud-styled HTML page.
func simplePage(w http.ResponseWriter, code int, title, bodyHTML string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache, no-store, must-revalidate")
	w.WriteHeader(code)
	fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s - Nextcloud</title><style>%s</style></head>
<body id="body-user"><header id="header"><div class="header-start"><a class="logo" href="/">Nextcloud</a></div></header>
<div id="content"><div class="sim-page">%s</div></div></body></html>
`, html.EscapeString(title), themeCSS, bodyHTML)
}

// notFoundPage is NC's NotFoundResponse (404 HTML).
func notFoundPage(w http.ResponseWriter) {
	simplePage(w, http.StatusNotFound, "Page not found",
		`<h2>Page not found</h2><p>The page could not be found on the server or you may not be allowed to see it.</p><p><a href="/">Back to Nextcloud</a></p>`)
}

func errorPage(w http.ResponseWriter, code int, title, msg string) {
	simplePage(w, code, title, "<h2>"+html.EscapeString(title)+"</h2><p>"+html.EscapeString(msg)+"</p>")
}

// unauthorized answers wrong Basic credentials like NC (401).
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="Nextcloud", charset="UTF-8"`)
	errorPage(w, http.StatusUnauthorized, "Unauthorized", "Wrong user name or password.")
}
