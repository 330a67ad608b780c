package config_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/config"
)

func TestEveryProblemReportedTogether(t *testing.T) {
	_, cfgEnv := writeYAML(t, "cache:\n  ttl: soon\nupstream:\n  max_retries: many\n")
	problems := MustProblems(t, []string{
		cfgEnv,
		"NEXTCLOUD_URL=ftp://nc.local",
		"APP_PORT=70000",
		"WEATHER_APIS_UPSTREAM_URL=not a url",
		"WEATHER_APIS_UPSTREAM_TIMEOUT=-1s",
		"WEATHER_APIS_REDIS_URL=http://127.0.0.1:6379",
		"WEATHER_APIS_LOG_LEVEL=verbose",
		"WEATHER_APIS_LOG_FORMAT=xml",
		"WEATHER_APIS_TRUSTED_PROXIES=10.0.0.0/8,10.0.0.300/8",
		"WEATHER_APIS_METRICS_ADDR=9090",
		"WEATHER_APIS_JWT_PUBLIC_KEY=not pem",
		"WEATHER_APIS_UPSTREAM_RETRY_WAIT_MIN=5s",
		"WEATHER_APIS_CACHE_PROBE_INTERVAL=0",
	})
	want := [][]string{
		{"app.secret (APP_SECRET): is required"},
		{"nextcloud.url (NEXTCLOUD_URL, from environment): must be an http:// or https:// URL", `"ftp://nc.local"`},
		{"app.port (APP_PORT, from environment): must be between 1 and 65535", `"70000"`},
		{"upstream.url", "must be an http:// or https:// URL"},
		{"upstream.timeout", "must be greater than 0", `"-1s"`},
		{"redis.url", "must be a redis:// or rediss:// URL"},
		{"log.level", "must be one of debug, info, warn, error", `"verbose"`},
		{"log.format", "must be one of json, text"},
		{"server.trusted_proxies (WEATHER_APIS_TRUSTED_PROXIES, from environment): \"10.0.0.300/8\" is not a CIDR such as 10.0.0.0/8"},
		{"metrics.addr", "must be host:port"},
		{"jwt.public_key", "must be a PEM-encoded public key"},
		{"upstream.retry_wait_min (WEATHER_APIS_UPSTREAM_RETRY_WAIT_MIN) (5s) must not exceed upstream.retry_wait_max"},
		{"cache.ttl (WEATHER_APIS_CACHE_TTL, from file ", "must be a Go duration", `"soon"`},
		{"upstream.max_retries", "from file", "must be a whole number"},
	}
	for _, w := range want {
		if !hasProblem(problems, w...) {
			t.Errorf("no problem contains %q", w)
		}
	}
	if len(problems) != len(want) {
		t.Errorf("got %d problems; want %d:\n%s", len(problems), len(want), strings.Join(problems, "\n"))
	}
	_, err := config.Load([]string{"APP_PORT=0", "APP_ID=a b"}, "v")
	lines := strings.Split(err.Error(), "\n")
	if lines[0] != "invalid configuration:" || len(lines) != 5 { // header + 4 problems
		t.Errorf("Error() = %q; want a header and one line per problem", err.Error())
	}
}

func TestCrossFieldRules(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string // "" = valid
	}{
		{"url and addrs", []string{"WEATHER_APIS_REDIS_URL=redis://127.0.0.1:6379/0", "WEATHER_APIS_REDIS_ADDRS=127.0.0.1:7000"}, "are mutually exclusive"},
		{"master without addrs", []string{"WEATHER_APIS_REDIS_MASTER_NAME=mymaster"}, "needs redis.addrs"},
		{"password without addrs", []string{"WEATHER_APIS_REDIS_PASSWORD=pw"}, "is used only with redis.addrs"},
		{"sentinel", []string{"WEATHER_APIS_REDIS_ADDRS=127.0.0.1:26379, 127.0.0.1:26380", "WEATHER_APIS_REDIS_MASTER_NAME=m", "WEATHER_APIS_REDIS_PASSWORD=pw"}, ""},
		{"bad addr", []string{"WEATHER_APIS_REDIS_ADDRS=127.0.0.1"}, "must be host:port"},
		{"harp without socket", []string{"HP_SHARED_KEY=k", "HP_EXAPP_SOCK="}, ""}, // empty = unset → default socket
		{"relative socket", []string{"HP_EXAPP_SOCK=exapp.sock"}, "must be an absolute path"},
		{"long socket", []string{"HP_EXAPP_SOCK=/" + strings.Repeat("s", 120)}, "at most 107 bytes"},
		{"rediss with db", []string{"WEATHER_APIS_REDIS_URL=rediss://u:p@127.0.0.1:6380/2"}, ""},
		{"redis bad db", []string{"WEATHER_APIS_REDIS_URL=redis://127.0.0.1/x"}, "database number"},
		{"relative storage", []string{"APP_PERSISTENT_STORAGE=data"}, "must be an absolute path"},
		{"short hmac key", []string{"WEATHER_APIS_JWT_SIGNING_KEY=short"}, "needs at least 32 bytes"},
		{"zero probe interval", []string{"WEATHER_APIS_CACHE_PROBE_INTERVAL=0s"}, ""},
		{"bad scope", []string{"WEATHER_APIS_JWT_DEFAULT_SCOPES=farms read"}, "scopes may contain only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == "" {
				MustLoad(t, env(tc.env...))
				return
			}
			problems := MustProblems(t, env(tc.env...))
			if len(problems) != 1 || !strings.Contains(problems[0], tc.want) {
				t.Errorf("problems = %q; want one containing %q", problems, tc.want)
			}
		})
	}
}

func TestSecretsNeverShown(t *testing.T) {
	const (
		appSecret = "app-secret-XYZ"
		jwtShort  = "jwt-short-XYZ"
		redisPW   = "redis-pw-XYZ"
		upPW      = "upstream-pw-XYZ"
	)
	_, cfgEnv := writeYAML(t, "harp:\n  shared_key: [harp-list-XYZ]\n")
	problems := MustProblems(t, []string{
		cfgEnv,
		"APP_SECRET=" + appSecret,
		"NEXTCLOUD_URL=http://127.0.0.1",
		"WEATHER_APIS_JWT_SIGNING_KEY=" + jwtShort,
		"WEATHER_APIS_UPSTREAM_URL=http://user:" + upPW + "@127.0.0.1:8000",
		"WEATHER_APIS_REDIS_URL=redis://:" + redisPW + "@127.0.0.1:6379/notadb",
		"WEATHER_APIS_UPSTREAM_PASSWORD_TYPO=" + upPW,
	})
	all := strings.Join(problems, "\n")
	for _, s := range []string{appSecret, jwtShort, redisPW, upPW, "harp-list-XYZ"} {
		if strings.Contains(all, s) {
			t.Errorf("problems reveal %q:\n%s", s, all)
		}
	}
	for _, w := range [][]string{
		{"jwt.signing_key", "is invalid (value not shown)"},
		{"harp.shared_key", "is invalid (value not shown)", "must be a string"},
		{"upstream.url", "must not contain credentials"},
		{"redis.url", "database number"},
	} {
		if !hasProblem(problems, w...) {
			t.Errorf("no problem contains %q:\n%s", w, all)
		}
	}

	c := MustLoad(t, env(
		"WEATHER_APIS_UPSTREAM_PASSWORD="+upPW,
		"WEATHER_APIS_REDIS_URL=redis://:"+redisPW+"@127.0.0.1:6379/0",
	))
	var b strings.Builder
	if err := c.Print(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String() + c.String()
	for _, s := range []string{"app-secret-value", upPW, redisPW} {
		if strings.Contains(out, s) {
			t.Errorf("Print reveals %q:\n%s", s, out)
		}
	}
	for _, re := range []string{
		`(?m)^app\.secret\s+APP_SECRET\s+<redacted>\s+env$`,
		`(?m)^upstream\.password\s+WEATHER_APIS_UPSTREAM_PASSWORD\s+<redacted>\s+env$`,
		`(?m)^jwt\.signing_key\s+WEATHER_APIS_JWT_SIGNING_KEY\s+<unset>\s+default$`,
		`(?m)^redis\.url\s+WEATHER_APIS_REDIS_URL\s+redis://:redacted@127\.0\.0\.1:6379/0\s+env$`,
		`(?m)^app\.display_name\s+APP_DISPLAY_NAME\s+"Weather APIs"\s+default$`,
		`(?m)^metrics\.addr\s+WEATHER_APIS_METRICS_ADDR\s+""\s+default$`,
		`(?m)^cache\.max_stale\s+WEATHER_APIS_CACHE_MAX_STALE\s+1h\s+default$`,
		`(?m)^cache\.stale_if_error\s+WEATHER_APIS_CACHE_STALE_IF_ERROR\s+10m\s+default$`,
		`(?m)^KEY\s+ENV\s+VALUE\s+SOURCE$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("Print output does not match %s:\n%s", re, out)
		}
	}
}

func TestNextcloudURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
		{"https://nc.example/index.php", "https://nc.example"},
		{"https://nc.example/index.php/", "https://nc.example"},
		{"https://nc.example/nextcloud/index.php", "https://nc.example/nextcloud"},
		{"  https://nc.example/nextcloud//  ", "https://nc.example/nextcloud"},
	}
	for _, tc := range tests {
		c := MustLoad(t, []string{"APP_SECRET=s", "NEXTCLOUD_URL=" + tc.in})
		if c.Nextcloud.URL != tc.want {
			t.Errorf("NEXTCLOUD_URL=%q: Nextcloud.URL = %q; want %q", tc.in, c.Nextcloud.URL, tc.want)
		}
	}
	for _, bad := range []string{"nc.example", "https://", "https://nc.example/?x=1"} {
		problems := MustProblems(t, []string{"APP_SECRET=s", "NEXTCLOUD_URL=" + bad})
		if !hasProblem(problems, "nextcloud.url") {
			t.Errorf("NEXTCLOUD_URL=%q: problems = %q; want one about nextcloud.url", bad, problems)
		}
	}
}

func TestConfigFileErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	badPath, badEnv := writeYAML(t, "upstream:\n  url: [unclosed\n")
	listPath, listEnv := writeYAML(t, "- just\n- a list\n")
	tests := []struct {
		name string
		env  string
		want []string
	}{
		{"missing file", "WEATHER_APIS_CONFIG=" + missing, []string{"WEATHER_APIS_CONFIG (" + missing + "): config file does not exist"}},
		{"syntax error", badEnv, []string{badPath + ": invalid YAML:"}},
		{"not a mapping", listEnv, []string{listPath + ": invalid YAML: the document must be a mapping"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A bad variable is reported alongside the file problem.
			problems := MustProblems(t, env(tc.env, "APP_PORT=x"))
			if !hasProblem(problems, tc.want...) || !hasProblem(problems, "app.port") || len(problems) != 2 {
				t.Errorf("problems = %q; want %q and one about app.port", problems, tc.want)
			}
		})
	}
}

func TestPublicKey(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkix := func(pub any) string {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)}))
	tests := []struct {
		name, pem, wantPrint, wantErr string
	}{
		{"RSA PKIX", pkix(&rsaKey.PublicKey), "RSA 2048-bit public key", ""},
		{"RSA PKCS1", pkcs1, "RSA 2048-bit public key", ""},
		{"EC one line", strings.ReplaceAll(pkix(&ecKey.PublicKey), "\n", `\n`), "ECDSA P-256 public key", ""},
		{"private key block", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", "must be PUBLIC KEY or RSA PUBLIC KEY"},
		{"garbage body", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "", "does not hold a valid public key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := env("WEATHER_APIS_JWT_PUBLIC_KEY=" + tc.pem)
			if tc.wantErr != "" {
				if p := MustProblems(t, e); !hasProblem(p, "jwt.public_key", tc.wantErr) {
					t.Errorf("problems = %q; want %q", p, tc.wantErr)
				}
				return
			}
			c := MustLoad(t, e)
			if c.JWT.PublicKey == nil || !strings.HasPrefix(c.JWT.PublicKeyPEM, "-----BEGIN") {
				t.Fatalf("JWT = %+v; want a parsed key", c.JWT)
			}
			if out := c.String(); !strings.Contains(out, tc.wantPrint) {
				t.Errorf("Print lacks %q:\n%s", tc.wantPrint, out)
			}
		})
	}
}

func TestSettingsTable(t *testing.T) {
	settings := config.Settings()
	keys, envs := map[string]bool{}, map[string]bool{}
	upperSnake := regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	for _, s := range settings {
		if keys[s.Key] || envs[s.Env] {
			t.Errorf("duplicate key %q or env %q", s.Key, s.Env)
		}
		keys[s.Key], envs[s.Env] = true, true
		if !upperSnake.MatchString(s.Env) || s.Env == "WEATHER_APIS_CONFIG" {
			t.Errorf("%s: bad env name %q", s.Key, s.Env)
		}
		if s.Description == "" || !strings.HasSuffix(s.Description, ".") {
			t.Errorf("%s: description %q must be one sentence", s.Key, s.Description)
		}
		if s.Secret && s.Default != "" {
			t.Errorf("%s: a secret has a default", s.Key)
		}
	}
	for _, s := range settings { // no key is a section of another
		for k := range keys {
			if strings.HasPrefix(k, s.Key+".") {
				t.Errorf("key %q is nested under key %q", k, s.Key)
			}
		}
	}
	for key, env := range map[string]string{
		"app.secret": "APP_SECRET", "nextcloud.url": "NEXTCLOUD_URL", "appapi.version": "AA_VERSION",
		"harp.shared_key": "HP_SHARED_KEY", "cache.ttl": "WEATHER_APIS_CACHE_TTL",
		"upstream.retry_after_cap": "WEATHER_APIS_UPSTREAM_RETRY_AFTER_CAP",
		"server.request_timeout":   "WEATHER_APIS_REQUEST_TIMEOUT",
	} {
		found := false
		for _, s := range settings {
			found = found || (s.Key == key && s.Env == env)
		}
		if !found {
			t.Errorf("Settings() lacks %s → %s", key, env)
		}
	}
	settings[0].Key = "mutated"
	if config.Settings()[0].Key == "mutated" {
		t.Error("Settings() shares its slice with the caller")
	}
	c := MustLoad(t, required)
	if got := len(c.Redacted()); got != len(settings) {
		t.Errorf("len(Redacted()) = %d; want %d", got, len(settings))
	}
	var verr *config.ValidationError
	if _, err := config.Load(nil, "v"); !errors.As(err, &verr) {
		t.Errorf("Load(nil) error = %v; want *ValidationError", err)
	}
}
