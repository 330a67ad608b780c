package appapisim

// themeCSS is the page shell's stylesheet: Nextcloud 32's theming variables,
// the light (default) theme on :root/body and the dark theme's overrides under
// body[data-themes*="dark"] (ui.go sets data-themes from ?theme= / the
// sim_theme cookie), followed by the simulator's header chrome.
//
// The values are NOT guesses: they are what nextcloud/server's theming app
// emits for an unconfigured NC 32 instance (no admin primary/background colour,
// no user theming), with every Util::mix/lighten/darken/elementColor result
// computed the way the PHP does (mexitek/phpcolors 1.0.4 HSL/RGB maths, mix()
// truncating with (int), elementColor() stepping HSL lightness by 1/255 until
// 3.2:1 against the "blurred" background) and written out as literals.
//
// Upstream sources, all nextcloud/server apps/theming/lib/: Themes/DefaultTheme.php
// and Themes/DarkTheme.php getCSSVariables(), Themes/CommonThemeTrait.php
// generatePrimaryVariables() / generateGlobalBackgroundVariables() /
// generateUserBackgroundVariables(), Util.php and ThemingDefaults.php, in
// their NC 32 generation: the one with the Assistant colours of PR #54679 and
// the dark-theme icon override of PR #54789 (merged 2025-08/09 for NC 32; the
// issue is labelled 32-feedback), Util::getTextColor() "@since 32.0.0" and the
// '#00679e' default primary/background colour of ThemingDefaults.
//
// Deliberate deviations, all marked "sim:" below: --image-background is none
// (the simulator does not serve the shipped background image, so the page
// shows the plain --color-background-plain, as NC does for "plain background"),
// and --filter-background-blur is the value NC sends to Chromium on Linux (the
// browser the e2e uses). Variables NC only sets for custom logos/images are
// omitted, and so are --color-text-light/--color-text-lighter, which NC 32
// no longer defines.
//
// Note for UI authors: in NC 32 --color-error/--color-warning/--color-success/
// --color-info are pale BACKGROUND colours (dark in the dark theme), not text
// colours. Text on the main background uses --color-main-text,
// --color-text-maxcontrast, --color-text-error, --color-text-success, or the
// --color-{error,warning,success,info}-text colours (designed for text on the
// matching --color-{error,...} background, and also >= 4.5:1 on the main
// background). There is no --color-text-warning/--color-text-info in NC 32.
const themeCSS = `/* nextcloud/server NC 32 apps/theming/lib/Themes/DefaultTheme.php getCSSVariables() */
:root, body {
  --color-main-background: #ffffff; --color-main-background-rgb: 255,255,255;
  --color-main-background-translucent: rgba(var(--color-main-background-rgb), .97);
  --color-main-background-blur: rgba(var(--color-main-background-rgb), .8);
  --filter-background-blur: none; /* sim: NC sends 'none' to Chromium (not macOS), 'blur(25px)' to other browsers */
  --gradient-main-background: var(--color-main-background) 0%, var(--color-main-background-translucent) 85%, transparent 100%;
  --color-background-hover: #f5f5f5; --color-background-dark: #ededed; --color-background-darker: #dbdbdb;
  --color-placeholder-light: #e6e6e6; --color-placeholder-dark: #cccccc;
  --color-main-text: #222222; --color-text-maxcontrast: #6b6b6b; --color-text-maxcontrast-default: #6b6b6b;
  --color-text-maxcontrast-background-blur: #595959;
  --color-text-error: #bf0000; --color-text-success: #066e03;
  --color-border: #ededed; --color-border-dark: #dbdbdb; --color-border-maxcontrast: #7d7d7d;
  --color-border-error: var(--color-element-error); --color-border-success: var(--color-element-success);
  --color-element-error: #c90000; --color-element-info: #0077C7; --color-element-success: #099f05; --color-element-warning: #BF7900;
  --color-error: #FFE7E7; --color-error-hover: #ffc3c3; --color-error-text: #8A0000;
  --color-warning: #FFEEC5; --color-warning-hover: #ffe4a1; --color-warning-text: #664700;
  --color-success: #D8F3DA; --color-success-hover: #bdebc0; --color-success-text: #005416;
  --color-info: #D5F1FA; --color-info-hover: #b5e6f6; --color-info-text: #0066AC;
  --color-favorite: #A37200;
  --color-error-rgb: 255,231,231; --color-warning-rgb: 255,238,197; --color-success-rgb: 216,243,218; --color-info-rgb: 213,241,250;
  --color-loading-light: #cccccc; --color-loading-dark: #444444;
  --color-scrollbar: var(--color-border-maxcontrast) transparent;
  --color-box-shadow-rgb: 77,77,77; --color-box-shadow: rgba(var(--color-box-shadow-rgb), 0.5);
  --color-background-assistant: #F6F5FF;
  --color-border-assistant: linear-gradient(125deg, #7398FE 50%, #6104A4 125%);
  --color-element-assistant: linear-gradient(214deg, #A569D3 12%, #00679E 39%, #422083 86%);
  --color-element-assistant-icon: linear-gradient(214deg, #9669D3 15%, #00679E 40%, #492083 80%);
  --font-face: system-ui, -apple-system, 'Segoe UI', Roboto, Oxygen-Sans, Cantarell, Ubuntu, 'Helvetica Neue', 'Noto Sans', 'Liberation Sans', Arial, sans-serif, 'Apple Color Emoji', 'Segoe UI Emoji', 'Segoe UI Symbol', 'Noto Color Emoji';
  --default-font-size: 15px; --font-size-small: 13px; --default-line-height: 1.5;
  --animation-quick: 100ms; --animation-slow: 300ms;
  --border-width-input: 1px; --border-width-input-focused: 2px;
  --border-radius-small: 4px; --border-radius-element: 8px; --border-radius-container: 12px; --border-radius-container-large: 16px;
  --border-radius: var(--border-radius-small); --border-radius-large: var(--border-radius-element);
  --border-radius-rounded: 28px; --border-radius-pill: 100px;
  --default-clickable-area: 34px; --clickable-area-large: 48px; --clickable-area-small: 24px;
  --default-grid-baseline: 4px;
  --header-height: 50px; --header-menu-item-height: 44px;
  --header-menu-icon-mask: linear-gradient(var(--color-background-plain-text) 25%, color-mix(in srgb, var(--color-background-plain-text), 55% transparent) 90%) alpha;
  --navigation-width: 300px; --sidebar-min-width: 300px; --sidebar-max-width: 500px;
  --body-container-radius: var(--border-radius-container-large); --body-container-margin: calc(var(--default-grid-baseline) * 2);
  --body-height: calc(100% - env(safe-area-inset-bottom) - var(--header-height) - var(--body-container-margin));
  --breakpoint-mobile: 1024px;
  --background-invert-if-dark: no; --background-invert-if-bright: invert(100%); --background-image-invert-if-bright: no;

  /* NC 32 apps/theming/lib/Themes/CommonThemeTrait.php generatePrimaryVariables('#ffffff', '#222222'),
     primary = ThemingDefaults::getDefaultColorPrimary() = '#00679e' */
  --primary-invert-if-bright: no; --primary-invert-if-dark: invert(100%);
  --color-primary: #00679e; --color-primary-text: #ffffff; --color-primary-hover: #3285b1;
  --color-primary-element: #00679e; --color-primary-element-hover: #00507a;
  --color-primary-element-text: #ffffff; --color-primary-element-text-dark: #ededed;
  --color-primary-light: #e5eff5; --color-primary-light-hover: #d9e3e8; --color-primary-light-text: #00293f;
  --color-primary-element-light: var(--color-primary-light); --color-primary-element-light-text: var(--color-primary-light-text);
  --color-primary-element-light-hover: var(--color-primary-light-hover);
  --gradient-primary-background: linear-gradient(40deg, var(--color-primary) 0%, var(--color-primary-hover) 100%);

  /* NC 32 CommonThemeTrait.php generateGlobalBackgroundVariables() + generateUserBackgroundVariables(),
     background colour = ThemingDefaults::getDefaultColorBackground() = '#00679e' */
  --color-background-plain: #00679e; --color-background-plain-text: #ffffff;
  --image-background: none; /* sim: NC has url('…/apps/theming/img/background/<default image>') */
}
/* nextcloud/server NC 32 apps/theming/lib/Themes/DarkTheme.php getCSSVariables() (merged over the default theme) */
body[data-themes*="dark"] {
  --color-main-text: #EBEBEB;
  --color-main-background: #171717; --color-main-background-rgb: 23,23,23;
  --color-main-background-blur: rgba(var(--color-main-background-rgb), .85);
  --color-background-hover: #212121; --color-background-dark: #292929; --color-background-darker: #3b3b3b;
  --color-placeholder-light: #313131; --color-placeholder-dark: #4a4a4a;
  --color-text-maxcontrast: #999999; --color-text-maxcontrast-default: #999999;
  --color-text-maxcontrast-background-blur: #a8a8a8;
  --color-text-error: #ff6f6f; --color-text-success: #49bb37;
  --color-border: #292929; --color-border-dark: #3b3b3b; --color-border-maxcontrast: #7d7d7d;
  --color-background-assistant: #221D2B;
  --color-border-assistant: linear-gradient(125deg, #0C3A65 50%, #6204A5 125%);
  --color-element-assistant: linear-gradient(214deg, #C8A3E8 12%, #007CFF 39%, #C297DD 86%);
  --color-element-assistant-icon: linear-gradient(214deg, #CDACE7 15.28%, #008FDB 39.98%, #A180E0 82.05%);
  --color-element-error: #FF5050; --color-element-info: #0099E0; --color-element-success: #40A330; --color-element-warning: #FFCC00;
  --color-error: #552121; --color-error-hover: #7a2f2f; --color-error-text: #FFCCCC;
  --color-warning: #3D3010; --color-warning-hover: #65501b; --color-warning-text: #FFEEC5;
  --color-success: #11321A; --color-success-hover: #1e582e; --color-success-text: #D5F2DC;
  --color-info: #003553; --color-info-hover: #005686; --color-info-text: #00AEFF;
  --color-favorite: #ffde00;
  --color-error-rgb: 85,33,33; --color-warning-rgb: 61,48,16; --color-success-rgb: 17,50,26; --color-info-rgb: 0,53,83;
  --color-loading-light: #777; --color-loading-dark: #CCC;
  --color-box-shadow: #000000; --color-box-shadow-rgb: 0,0,0;
  --background-invert-if-dark: invert(100%); --background-invert-if-bright: no;

  /* NC 32 CommonThemeTrait.php generatePrimaryVariables('#171717', '#EBEBEB') */
  --primary-invert-if-bright: invert(100%); --primary-invert-if-dark: no;
  --color-primary: #00679e; --color-primary-text: #ffffff; --color-primary-hover: #045783;
  --color-primary-element: #0091f2; --color-primary-element-hover: #17a2ff;
  --color-primary-element-text: #000000; --color-primary-element-text-dark: #121212;
  --color-primary-light: #14232c; --color-primary-light-hover: #1f2e36; --color-primary-light-text: #99c2d8;
}
html, body { margin: 0; height: 100%; }
#skip-actions { position: absolute; overflow: hidden; z-index: 9999; top: -999px; left: 3px; padding: 11px; display: flex; flex-wrap: wrap; gap: 11px; }
#skip-actions:focus-within { top: var(--header-height); }
body { font-family: var(--font-face); font-size: var(--default-font-size); line-height: var(--default-line-height);
  color: var(--color-main-text); background: var(--color-background-plain); }
#header { display: flex; justify-content: space-between; align-items: center; height: var(--header-height);
  padding: 0 12px; box-sizing: border-box; color: var(--color-background-plain-text); background: var(--color-primary); }
#header a { color: inherit; text-decoration: none; }
.header-start, .header-end { display: flex; align-items: center; gap: 12px; }
.logo { font-weight: bold; letter-spacing: .5px; margin-right: 8px; }
.app-menu-entry { display: flex; flex-direction: column; align-items: center; font-size: 12px; padding: 2px 8px;
  border-radius: var(--border-radius-element); opacity: .8; }
.app-menu-entry.active, .app-menu-entry:hover { opacity: 1; background: rgba(255,255,255,.15); }
.app-menu-entry img { width: 20px; height: 20px; filter: invert(100%); }
.user-menu summary { list-style: none; cursor: pointer; width: 32px; height: 32px; border-radius: 50%;
  background: var(--color-main-background); color: var(--color-main-text); display: flex; align-items: center; justify-content: center; font-weight: bold; }
.user-menu[open] .user-menu__list { position: absolute; right: 8px; top: var(--header-height); min-width: 200px; z-index: 100;
  background: var(--color-main-background); color: var(--color-main-text); border-radius: var(--border-radius-large);
  box-shadow: 0 0 10px var(--color-box-shadow); padding: 8px; }
.user-menu__list a { display: block; padding: 6px 8px; color: var(--color-main-text) !important; border-radius: var(--border-radius-element); }
.user-menu__list a:hover { background: var(--color-background-hover); }
#content { box-sizing: border-box; margin: 0 var(--body-container-margin) var(--body-container-margin); height: var(--body-height);
  overflow: auto; border-radius: var(--body-container-radius); background: var(--color-main-background); color: var(--color-main-text); }
#content #content { margin: 0; height: 100%; border-radius: 0; }
.hidden-visually { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
.sim-page { max-width: 860px; margin: 0 auto; padding: 24px; }
.sim-page a { color: var(--color-primary-element); }
`
