/**
 * The widget's stylesheet, adopted into its shadow root as a constructable
 * stylesheet. CSP `style-src` governs <style> elements and style attributes,
 * not constructed sheets, so this works under a strict policy without
 * 'unsafe-inline'. `:host` declarations are `!important` because, for
 * important declarations, the shadow tree wins over the host page's rules: an
 * aggressive `* { … !important }` on the page cannot move or restyle the host.
 */
const css = `
:host{all:initial!important;display:block!important;position:fixed!important;z-index:2147483000!important;bottom:20px!important;right:20px!important;left:auto!important;top:auto!important;width:auto!important;height:auto!important;margin:0!important;padding:0!important;border:0!important;transform:none!important;opacity:1!important;visibility:visible!important;filter:none!important;
--mc-accent:#2563eb;--mc-on-accent:#fff;--mc-bg:#fff;--mc-surface:#f3f4f6;--mc-fg:#111827;--mc-muted:#4b5563;--mc-border:#d1d5db;--mc-user:#e0e7ff;--mc-shadow:0 12px 40px rgba(0,0,0,.18);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif!important;color:var(--mc-fg)!important;color-scheme:light}
:host([data-position=bottom-left]){left:20px!important;right:auto!important}
:host([data-theme=dark]){--mc-bg:#111827;--mc-surface:#1f2937;--mc-fg:#f3f4f6;--mc-muted:#9ca3af;--mc-border:#374151;--mc-user:#312e81;color-scheme:dark}
@media (prefers-color-scheme:dark){:host([data-theme=auto]){--mc-bg:#111827;--mc-surface:#1f2937;--mc-fg:#f3f4f6;--mc-muted:#9ca3af;--mc-border:#374151;--mc-user:#312e81;color-scheme:dark}}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
button{font:inherit;color:inherit;cursor:pointer;border:0;background:none}
button:focus-visible,textarea:focus-visible,a:focus-visible{outline:2px solid var(--mc-accent);outline-offset:2px}
.launcher{width:56px;height:56px;border-radius:50%;background:var(--mc-accent);color:var(--mc-on-accent);box-shadow:var(--mc-shadow);display:grid;place-items:center;margin-left:auto}
.launcher svg{width:26px;height:26px;fill:currentColor}
.panel{position:absolute;bottom:70px;right:0;width:min(400px,calc(100vw - 40px));height:min(620px,calc(100vh - 110px));background:var(--mc-bg);color:var(--mc-fg);border:1px solid var(--mc-border);border-radius:16px;box-shadow:var(--mc-shadow);display:flex;flex-direction:column;overflow:hidden}
:host([data-position=bottom-left]) .panel{right:auto;left:0}
header{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--mc-accent);color:var(--mc-on-accent)}
header h2{flex:1;margin:0;font-size:16px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
header button{padding:4px 8px;border-radius:8px;font-size:13px}
header button:hover{background:rgba(255,255,255,.18)}
.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:12px}
.turn{max-width:100%;overflow-wrap:anywhere}
.turn.user{align-self:flex-end;background:var(--mc-user);padding:8px 12px;border-radius:14px 14px 4px 14px;max-width:85%;white-space:pre-wrap}
.turn.assistant{align-self:stretch}
.answer p{margin:0 0 8px}.answer p:last-child{margin-bottom:0}
.answer ul,.answer ol{margin:0 0 8px;padding-left:22px}
.answer pre{background:var(--mc-surface);padding:8px;border-radius:8px;overflow-x:auto;font-size:13px}
.answer code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.answer blockquote{margin:0 0 8px;padding-left:10px;border-left:3px solid var(--mc-border);color:var(--mc-muted)}
.answer a{color:var(--mc-accent)}
.cite{display:inline-block;min-width:18px;padding:0 5px;margin:0 1px;border-radius:9px;background:var(--mc-surface);border:1px solid var(--mc-border);color:var(--mc-fg)!important;font-size:11px;line-height:16px;text-align:center;text-decoration:none;vertical-align:2px}
.cite:hover{background:var(--mc-accent);color:var(--mc-on-accent)!important}
.status{color:var(--mc-muted);font-size:13px;display:flex;align-items:center;gap:6px;margin-bottom:6px}
.status::before{content:"";width:8px;height:8px;border-radius:50%;background:var(--mc-accent);animation:mc-pulse 1s infinite alternate}
@keyframes mc-pulse{from{opacity:.3}to{opacity:1}}
@media (prefers-reduced-motion:reduce){.status::before{animation:none}}
.sources{display:flex;gap:8px;overflow-x:auto;padding:2px 0 8px;margin:0;list-style:none}
.source{flex:0 0 160px;min-width:0}
.source a{display:flex;flex-direction:column;gap:4px;height:100%;padding:8px;border:1px solid var(--mc-border);border-radius:10px;background:var(--mc-surface);color:var(--mc-fg);text-decoration:none;font-size:12px}
.source a:hover{border-color:var(--mc-accent)}
.source .title{font-weight:600;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.source .site{display:flex;align-items:center;gap:6px;color:var(--mc-muted);overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
.favicon{flex:0 0 16px;width:16px;height:16px;border-radius:4px;display:grid;place-items:center;font-size:10px;font-weight:700;color:#fff}
.notice{color:var(--mc-muted);font-size:13px;margin-top:6px;display:flex;align-items:center;gap:8px}
.notice button{color:var(--mc-accent);text-decoration:underline;padding:0}
form{display:flex;align-items:flex-end;gap:8px;padding:10px;border-top:1px solid var(--mc-border);background:var(--mc-bg)}
textarea{flex:1;resize:none;min-height:40px;max-height:120px;padding:9px 12px;border:1px solid var(--mc-border);border-radius:12px;background:var(--mc-surface);color:var(--mc-fg);font:inherit}
.send{height:40px;padding:0 14px;border-radius:12px;background:var(--mc-accent);color:var(--mc-on-accent);font-weight:600}
.send:disabled{opacity:.5;cursor:default}
.attach{height:40px;width:36px;border-radius:12px;color:var(--mc-muted);font-size:18px}
.attachments{display:flex;flex-wrap:wrap;gap:6px;padding:8px 10px 0}
.attachment{display:inline-flex;align-items:center;gap:4px;padding:2px 4px 2px 10px;border-radius:12px;background:var(--mc-surface);border:1px solid var(--mc-border);font-size:12px}
.attachment button{padding:0 6px;color:var(--mc-muted)}
.composer-note{padding:0 10px;font-size:12px;color:var(--mc-muted)}
.composer-note:empty{display:none}
.attached{font-size:12px;opacity:.8}
.sr-only{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){:host{bottom:12px!important;right:12px!important}:host([data-position=bottom-left]){left:12px!important}
:host([data-open]){top:0!important;left:0!important;right:0!important;bottom:0!important}
:host([data-open]) .launcher{display:none}
:host([data-open]) .panel{position:fixed;inset:0;width:100%;height:100%;border-radius:0;border:0}}
`;

/** Applies the stylesheet to `root`: constructable stylesheets are in every current browser. */
export function adoptStyles(root: ShadowRoot): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  root.adoptedStyleSheets = [sheet];
}
