package appapisim

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Access levels of a route (ExAppRouteAccessLevel).
const (
	AccessPublic = 0
	AccessUser   = 1
	AccessAdmin  = 2
)

// AppInfo is the part of info.xml AppAPI reads (nextcloud/app_api lib/Service/ExAppService.php getAppInfo).
type AppInfo struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Routes  []Route  `json:"routes"`
	EnvVars []EnvVar `json:"environment_variables"`
}

// Route is one <route>; order is significant (first match decides).
type Route struct {
	URL                  string   `json:"url"`
	Verb                 string   `json:"verb"`
	AccessLevel          int      `json:"access_level"`
	HeadersToExclude     []string `json:"headers_to_exclude"`
	BruteforceProtection []int    `json:"bruteforce_protection"`
}

// EnvVar is one declared <variable>.
type EnvVar struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Description string `json:"description"`
	Default     string `json:"default"`
}

type xmlInfo struct {
	ID          string `xml:"id"`
	Name        string `xml:"name"`
	Version     string `xml:"version"`
	ExternalApp struct {
		Routes []struct {
			URL                  string `xml:"url"`
			Verb                 string `xml:"verb"`
			AccessLevel          string `xml:"access_level"`
			HeadersToExclude     string `xml:"headers_to_exclude"`
			BruteforceProtection string `xml:"bruteforce_protection"`
		} `xml:"routes>route"`
		EnvVars []struct {
			Name        string `xml:"name"`
			DisplayName string `xml:"display-name"`
			Description string `xml:"description"`
			Default     string `xml:"default"`
		} `xml:"environment-variables>variable"`
	} `xml:"external-app"`
}

// LoadAppInfo reads and validates an info.xml file.
func LoadAppInfo(path string) (*AppInfo, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read info.xml: %w", err)
	}
	return ParseAppInfo(raw)
}

// ParseAppInfo parses info.xml bytes. Like AppAPI since #885 it rejects
// malformed routes (bad access level, headers_to_exclude or
// bruteforce_protection that is not a JSON list) instead of guessing.
func ParseAppInfo(raw []byte) (*AppInfo, error) {
	var x xmlInfo
	if err := xml.Unmarshal(raw, &x); err != nil {
		return nil, fmt.Errorf("cannot parse info.xml: %w", err)
	}
	info := &AppInfo{ID: strings.TrimSpace(x.ID), Name: strings.TrimSpace(x.Name), Version: strings.TrimSpace(x.Version)}
	var errs []error
	if info.ID == "" || info.Name == "" || info.Version == "" {
		errs = append(errs, errors.New("info.xml needs <id>, <name> and <version>"))
	}
	for i, r := range x.ExternalApp.Routes {
		rt := Route{URL: strings.TrimSpace(r.URL), Verb: strings.TrimSpace(r.Verb)}
		if rt.URL == "" || rt.Verb == "" {
			errs = append(errs, fmt.Errorf("route %d: <url> and <verb> are required", i+1))
		}
		lvl, err := parseAccessLevel(r.AccessLevel)
		if err != nil {
			errs = append(errs, fmt.Errorf("route %d: %w", i+1, err))
		}
		rt.AccessLevel = lvl
		if s := strings.TrimSpace(r.HeadersToExclude); s != "" {
			if err := json.Unmarshal([]byte(s), &rt.HeadersToExclude); err != nil {
				errs = append(errs, fmt.Errorf("route %d: headers_to_exclude is not a JSON list of strings: %w", i+1, err))
			}
		}
		if s := strings.TrimSpace(r.BruteforceProtection); s != "" {
			if err := json.Unmarshal([]byte(s), &rt.BruteforceProtection); err != nil {
				errs = append(errs, fmt.Errorf("route %d: bruteforce_protection is not a JSON list of status codes: %w", i+1, err))
			}
		}
		info.Routes = append(info.Routes, rt)
	}
	for _, v := range x.ExternalApp.EnvVars {
		info.EnvVars = append(info.EnvVars, EnvVar{
			Name: strings.TrimSpace(v.Name), DisplayName: strings.TrimSpace(v.DisplayName),
			Description: strings.TrimSpace(v.Description), Default: strings.TrimSpace(v.Default),
		})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return info, nil
}

// parseAccessLevel accepts PUBLIC|USER|ADMIN or 0|1|2.
func parseAccessLevel(s string) (int, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "PUBLIC":
		return AccessPublic, nil
	case "USER":
		return AccessUser, nil
	case "ADMIN":
		return AccessAdmin, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 2 {
		return 0, fmt.Errorf("access_level %q: want PUBLIC, USER, ADMIN or 0-2", s)
	}
	return n, nil
}
