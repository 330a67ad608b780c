package handlers

import (
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// hashedName matches bundler output with a content hash, e.g.
// "main-3f9a1c2b.js" or "index.Bx7_a9Qe.css": safe to cache for a year.
var hashedName = regexp.MustCompile(`[.-][A-Za-z0-9_]{8,}\.(js|mjs|css|map|woff2?|svg|png)$`)

var staticTypes = map[string]string{
	".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8", ".json": "application/json", ".map": "application/json",
	".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2", ".woff": "font/woff",
}

// static handles "GET /js/…", "/css/…", "/img/…" and "/l10n/…": the built
// admin UI. Hashed file names are cached for a year; others revalidate.
// Unknown files are a 404 envelope.
func (s *Server) static() gin.HandlerFunc {
	return func(c *gin.Context) {
		name := strings.TrimPrefix(path.Clean(c.Request.URL.Path), "/")
		if !fs.ValidPath(name) {
			s.fail(c, envelope.New(envelope.CodeNotFound, "No such file."))
			return
		}
		f, err := s.d.Static.Open(name)
		if err != nil {
			s.fail(c, envelope.New(envelope.CodeNotFound, "No such file."))
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || st.IsDir() {
			s.fail(c, envelope.New(envelope.CodeNotFound, "No such file."))
			return
		}
		ext := path.Ext(name)
		ct := staticTypes[ext]
		if ct == "" {
			ct = mime.TypeByExtension(ext)
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		h := c.Writer.Header()
		h.Set("Content-Type", ct)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
		if hashedName.MatchString(name) {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		c.Status(http.StatusOK)
		_, _ = io.Copy(c.Writer, f)
		c.Abort()
	}
}
