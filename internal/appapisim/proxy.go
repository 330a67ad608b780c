package appapisim

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// parentSegment is AppAPI's ".." check, also catching %2e/%2f forms.
var parentSegment = regexp.MustCompile(`(?:^|/|%2[fF])(?:\.|%2[eE]){2}(?:/|%2[fF]|$)`)

// proxyRequestHeadersDropped are never forwarded by the PHP proxy.
var proxyRequestHeadersDropped = []string{"content-length", "authorization-app-api", "x-origin-ip"}

// proxyResponseHeadersDropped are removed from the ExApp's answer.
var proxyResponseHeadersDropped = []string{"aa-version", "ex-app-id", "authorization-app-api", "ex-app-version", "aa-request-id", "transfer-encoding"}

// splitProxyPath returns appid and the decoded ExApp path ("other") from
// /index.php/apps/app_api/proxy/<appid>/<other>. Symfony's router decodes
// the path once before AppAPI sees it.
func splitProxyPath(escaped string) (appID, other string, ok bool) {
	p := strings.TrimPrefix(escaped, "/index.php")
	p = strings.TrimPrefix(p, "/apps/app_api/proxy")
	p = strings.TrimPrefix(p, "/")
	rawID, rawOther, _ := strings.Cut(p, "/")
	id, err1 := url.PathUnescape(rawID)
	o, err2 := url.PathUnescape(rawOther)
	if err1 != nil || err2 != nil || id == "" {
		return "", "", false
	}
	return id, o, true
}

// handlePHPProxy plays ExAppProxyController (nextcloud/app_api lib/Controller/ExAppProxyController.php).
func (s *Server) handlePHPProxy(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete:
	default:
		errorPage(w, http.StatusMethodNotAllowed, "Method not allowed", "This request method is not supported here.")
		return
	}
	u, err := s.accounts.requestUser(r)
	if err != nil {
		unauthorized(w)
		return
	}
	appID, other, ok := splitProxyPath(r.URL.EscapedPath())
	if !ok || (other == "" && r.Method != http.MethodGet) || parentSegment.MatchString(other) {
		notFoundPage(w)
		return
	}
	var enabled bool
	s.st.view(func(a *AppState) { enabled = a.Registered && a.Enabled })
	if appID != s.info.ID || !enabled {
		notFoundPage(w)
		return
	}
	route, ok := s.routes.phpRoute(s.cfg.RouteMode, s.info.Routes, other, r.Method, levelOf(u))
	if !ok {
		notFoundPage(w)
		return
	}
	ip := clientIP(r)
	protected := len(route.BruteforceProtection) > 0
	if protected {
		if d := s.throttle.delay("proxy", ip); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
	}
	resp, err := s.forwardPHP(r, route, u, other)
	if err != nil {
		s.log.Warn("proxy: ExApp request failed", "app", appID, "error", err)
		w.WriteHeader(http.StatusInternalServerError) // empty 500, like AppAPI
		return
	}
	defer resp.Body.Close()
	if protected {
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			s.throttle.reset("proxy", ip)
		case slices.Contains(route.BruteforceProtection, resp.StatusCode):
			s.throttle.register("proxy", ip)
		}
	}
	s.writeProxyResponse(w, resp, other)
}

// forwardPHP builds and sends the upstream request.
func (s *Server) forwardPHP(r *http.Request, route Route, u *user, other string) (*http.Response, error) {
	exclude := append([]string{}, proxyRequestHeadersDropped...)
	for _, h := range route.HeadersToExclude {
		exclude = append(exclude, strings.ToLower(h))
	}
	h := http.Header{}
	for k, v := range r.Header {
		if !slices.Contains(exclude, strings.ToLower(k)) {
			h[k] = slices.Clone(v)
		}
	}
	h.Set("X-Origin-IP", clientIP(r))
	s.signer().sign(h, userID(u), s.version(), newRequestID())

	var body io.Reader
	if r.Method != http.MethodGet {
		body = r.Body
		if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			rebuilt, ctype, err := reencodeMultipart(r)
			if err != nil {
				return nil, err
			}
			body = rebuilt
			h.Set("Content-Type", ctype)
		}
	}
	target := s.exapp.target("/"+other, phpRebuildQuery(r.URL.RawQuery))
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header = h
	if !slices.Contains(exclude, "host") && r.Host != "" {
		req.Host = r.Host // getallheaders() includes Host
	}
	if body == r.Body {
		req.ContentLength = r.ContentLength
	}
	client := *s.exapp.client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return client.Do(req)
}

// writeProxyResponse copies the ExApp answer like createProxyResponse.
func (s *Server) writeProxyResponse(w http.ResponseWriter, resp *http.Response, other string) {
	isHTML := path.Ext(other) == ".html"
	for k, v := range resp.Header {
		if len(v) > 0 && !slices.Contains(proxyResponseHeadersDropped, strings.ToLower(k)) {
			w.Header().Set(k, v[0]) // first value only
		}
	}
	if resp.Header.Get("Content-Type") == "" {
		if m := mime.TypeByExtension(path.Ext(other)); m != "" && m != "application/octet-stream" {
			w.Header().Set("Content-Type", m)
		}
	}
	ctype := resp.Header.Get("Content-Type")
	if !isHTML && resp.Header.Get("Cache-Control") == "" && ctype != "application/json" && ctype != "application/x-tar" {
		// Response::cacheFor(3600)
		w.Header().Set("Cache-Control", "private, max-age=3600, must-revalidate")
		w.Header().Set("Expires", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
	}
	if isHTML {
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		raw = bytes.ReplaceAll(raw, []byte("<script"), []byte(`<script nonce="`+cspNonce()+`"`))
		w.Header().Del("Content-Length")
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(raw)
		return
	}
	w.WriteHeader(resp.StatusCode)
	streamCopy(w, resp.Body)
}

// streamCopy copies and flushes after every read (SSE-friendly).
func streamCopy(w http.ResponseWriter, r io.Reader) {
	f, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if f != nil {
				f.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// reencodeMultipart rebuilds a multipart body from the parsed form, fields
// first then files, with a new boundary (PHP's $_POST/$_FILES path).
func reencodeMultipart(r *http.Request) (io.Reader, string, error) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range r.MultipartForm.Value {
		if err := mw.WriteField(k, vs[len(vs)-1]); err != nil {
			return nil, "", err
		}
	}
	for k, fhs := range r.MultipartForm.File {
		fh := fhs[len(fhs)-1]
		f, err := fh.Open()
		if err != nil {
			return nil, "", err
		}
		part, err := mw.CreateFormFile(k, fh.Filename)
		if err == nil {
			_, err = io.Copy(part, f)
		}
		f.Close()
		if err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return &buf, mw.FormDataContentType(), nil
}

func cspNonce() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("crypto/rand failed"))
	}
	return base64.StdEncoding.EncodeToString(b)
}
