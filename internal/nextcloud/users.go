package nextcloud

import (
	"context"
	"net/http"
	"net/url"
)

// AdminGroup is Nextcloud's administrators group (IGroupManager::isAdmin
// checks membership of "admin").
const AdminGroup = "admin"

// UserGroups returns the groups user belongs to, asked as user themself:
// GET /ocs/v1.php/cloud/users/{user}/groups with AUTHORIZATION-APP-API
// "<user>:<secret>", the way nc_py_api calls OCS for a user
// (nc_py_api/_session.py NcSessionApp._add_auth). Nextcloud's base.php
// logs the request in as that user through AppAPI
// (AppAPIService::validateExAppRequestToNC), and provisioning_api's
// UsersController::getUsersGroups answers a self lookup for any user
// (#[NoAdminRequired]): {"groups": [...]}. A user Nextcloud does not know
// makes AppAPI's authentication fail (HTTP 401, OCS 997).
func (c *Client) UserGroups(ctx context.Context, user string) ([]string, error) {
	var out struct {
		Groups []string `json:"groups"`
	}
	if err := c.OCSAs(ctx, user, http.MethodGet, "cloud/users/"+url.PathEscape(user)+"/groups", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Groups, nil
}

// GroupMembers returns the user ids of group, asked as asUser:
// GET /ocs/v1.php/cloud/groups/{group}/users (provisioning_api
// GroupsController::getGroupUsers: allowed to admins, delegated admins and
// the group's subadmins; {"users": [...]}).
func (c *Client) GroupMembers(ctx context.Context, asUser, group string) ([]string, error) {
	var out struct {
		Users []string `json:"users"`
	}
	if err := c.OCSAs(ctx, asUser, http.MethodGet, "cloud/groups/"+url.PathEscape(group)+"/users", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Users, nil
}

// Users returns every Nextcloud user id: AppAPI's
// GET /ocs/v1.php/apps/app_api/api/v1/users (OCSApiController::getNCUsersList,
// #[AppAPIAuth], no user needed).
func (c *Client) Users(ctx context.Context) ([]string, error) {
	var out []string
	if err := c.OCS(ctx, http.MethodGet, aa+"api/v1/users", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// AbsoluteURL returns Nextcloud's absolute URL of rel (a path relative to
// its web root): GET /ocs/v1.php/apps/app_api/api/v1/info/nextcloud_url/absolute
// (OCSApiController::getNextcloudAbsoluteUrl: overwrite.cli.url + "/" + rel).
// Links shown to a browser must use it: NEXTCLOUD_URL is the address the
// ExApp reaches Nextcloud at, which may be an internal one.
func (c *Client) AbsoluteURL(ctx context.Context, rel string) (string, error) {
	var out struct {
		URL string `json:"absolute_url"`
	}
	if err := c.OCS(ctx, http.MethodGet, aa+"api/v1/info/nextcloud_url/absolute", url.Values{"url": {rel}}, nil, &out); err != nil {
		return "", err
	}
	return out.URL, nil
}

// ExAppEnabled asks whether AppAPI has the app enabled: GET
// /ocs/v1.php/apps/app_api/ex-app/state (OCSApiController::getEnabledState,
// 1 or 0; answered even while the app is disabled). An app AppAPI does not
// know makes the call fail (401).
func (c *Client) ExAppEnabled(ctx context.Context) (bool, error) {
	var out int
	if err := c.OCS(ctx, http.MethodGet, aa+"ex-app/state", nil, nil, &out); err != nil {
		return false, err
	}
	return out == 1, nil
}
