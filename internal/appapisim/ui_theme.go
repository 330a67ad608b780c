package appapisim

// themeCSS defines a subset of Nextcloud 32's theming variables (light on
// :root/body, dark under [data-themes*=dark]) plus the header chrome.
const themeCSS = `:root, body {
  --color-main-background: #ffffff; --color-main-background-rgb: 255,255,255;
  --color-main-background-translucent: rgba(var(--color-main-background-rgb), .97);
  --color-main-background-blur: rgba(var(--color-main-background-rgb), .8);
  --color-background-hover: #f5f5f5; --color-background-dark: #ededed; --color-background-darker: #dbdbdb;
  --color-placeholder-light: #e6e6e6; --color-placeholder-dark: #cccccc;
  --color-main-text: #222222; --color-text-maxcontrast: #6b6b6b; --color-text-light: #222222; --color-text-lighter: #6b6b6b;
  --color-error: #FFE7E7; --color-error-hover: #edd7d7; --color-error-text: #8A0000; --color-element-error: #c90000;
  --color-warning: #FFEEC5; --color-warning-hover: #edddb7; --color-warning-text: #664700; --color-element-warning: #BF7900;
  --color-success: #D8F3DA; --color-success-hover: #c9e2cb; --color-success-text: #005416; --color-element-success: #099f05;
  --color-info: #D5F1FA; --color-info-hover: #c6e0e9; --color-info-text: #0066AC; --color-element-info: #0077C7;
  --color-border-error: var(--color-element-error); --color-border-success: var(--color-element-success);
  --color-loading-light: #cccccc; --color-loading-dark: #444444; --color-box-shadow-rgb: 77,77,77;
  --color-box-shadow: rgba(var(--color-box-shadow-rgb), 0.5);
  --color-border: #ededed; --color-border-dark: #dbdbdb; --color-border-maxcontrast: #7d7d7d;
  --font-face: system-ui, -apple-system, "Segoe UI", Roboto, Oxygen-Sans, Cantarell, Ubuntu, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif;
  --default-font-size: 15px; --font-size-small: 13px; --default-line-height: 1.5;
  --animation-quick: 100ms; --animation-slow: 300ms;
  --border-width-input: 1px; --border-width-input-focused: 2px;
  --border-radius: 3px; --border-radius-small: 4px; --border-radius-element: 8px; --border-radius-large: 10px;
  --border-radius-rounded: 28px; --border-radius-pill: 100px; --border-radius-container: 12px; --border-radius-container-large: 16px;
  --default-clickable-area: 34px; --clickable-area-small: 24px; --clickable-area-large: 48px;
  --default-grid-baseline: 4px; --header-height: 50px; --header-menu-item-height: 44px;
  --navigation-width: 300px; --sidebar-min-width: 300px; --sidebar-max-width: 500px;
  --body-container-radius: var(--border-radius-container-large); --body-container-margin: calc(var(--default-grid-baseline) * 2);
  --body-height: calc(100% - env(safe-area-inset-bottom) - var(--header-height) - var(--body-container-margin));
  --color-primary: #0082c9; --color-primary-text: #ffffff; --color-primary-hover: #329bd3;
  --color-primary-light: #e5f2f9; --color-primary-light-text: #00293f; --color-primary-light-hover: #dbe7ee;
  --color-primary-element: #00679e; --color-primary-element-hover: #1a76a7; --color-primary-element-text: #ffffff;
  --color-primary-element-light: #e5eff5; --color-primary-element-light-hover: #dbe4e9; --color-primary-element-light-text: #00293f;
  --color-primary-element-text-dark: #ededed;
  --color-background-plain: #0082c9; --color-background-plain-text: #ffffff;
  --image-background: none; --background-image-invert-if-bright: no;
}
body[data-themes*="dark"] {
  --color-main-background: #171717; --color-main-background-rgb: 23,23,23;
  --color-background-hover: #292929; --color-background-dark: #2b2b2b; --color-background-darker: #3b3b3b;
  --color-placeholder-light: #424242; --color-placeholder-dark: #575757;
  --color-main-text: #EBEBEB; --color-text-maxcontrast: #999999; --color-text-light: #EBEBEB; --color-text-lighter: #999999;
  --color-error: #552121; --color-error-hover: #4f1f1f; --color-error-text: #FFCCCC; --color-element-error: #FF5050;
  --color-warning: #3D3010; --color-warning-hover: #392d0f; --color-warning-text: #FFEEC5; --color-element-warning: #FFCC00;
  --color-success: #11321A; --color-success-hover: #102f18; --color-success-text: #D5F2DC; --color-element-success: #40A330;
  --color-info: #003553; --color-info-hover: #00314d; --color-info-text: #00AEFF; --color-element-info: #0099E0;
  --color-box-shadow-rgb: 0,0,0;
  --color-border: #292929; --color-border-dark: #3b3b3b; --color-border-maxcontrast: #8c8c8c;
  --color-primary-element: #0082c9; --color-primary-element-hover: #1a8fcd; --color-primary-element-text: #ffffff;
  --color-primary-element-light: #172a35; --color-primary-element-light-hover: #273a45; --color-primary-element-light-text: #e5f2f9;
  --background-image-invert-if-bright: invert(100%);
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
