/** The dashboard's one stylesheet, served from /admin/style.css (the CSP allows no inline style). */
export const STYLE = `
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --bg: #f5f7fa; --accent: #2563eb; --ok: #15803d; --warn: #b45309; --bad: #b91c1c; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; align-items: center; justify-content: space-between; padding: 12px 28px; background: #111827; color: #fff; }
header .brand { color: #fff; text-decoration: none; font-weight: 700; font-size: 18px; }
header .brand span { font-weight: 400; color: #9ca3af; }
header .signout { margin: 0; }
button.link { background: none; border: 0; color: #d1d5db; padding: 0; cursor: pointer; font: inherit; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0; display: flex; gap: 12px; align-items: center; }
h2 { font-size: 17px; margin: 28px 0 10px; }
a { color: var(--accent); }
code, .mono, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
pre { white-space: pre-wrap; word-break: break-all; background: #f3f4f6; padding: 8px 10px; border-radius: 6px; margin: 6px 0 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 16px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; }
.card h2 { margin: 0 0 10px; }
.card dl, .facts { display: grid; grid-template-columns: repeat(2, 1fr); gap: 10px 18px; margin: 0; }
.facts { grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin-top: 16px; }
dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
dd { margin: 2px 0 0; font-size: 20px; font-weight: 600; overflow-wrap: anywhere; }
.facts dd { font-size: 15px; }
dd.warn { color: var(--warn); }
.search { display: flex; gap: 8px; align-items: center; margin-top: 24px; }
.search label { font-weight: 600; margin-right: 4px; }
input[type=search], input[type=password] { padding: 8px 10px; border: 1px solid #cbd2d9; border-radius: 6px; font: inherit; min-width: 280px; }
button { background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: 8px 16px; font: inherit; font-weight: 600; cursor: pointer; }
button:hover { filter: brightness(1.08); }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f9fafb; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
td.num, th.num { text-align: right; }
td.mono { overflow-wrap: anywhere; max-width: 220px; }
.error { color: var(--bad); }
.empty { color: var(--muted); }
.badge { font-size: 12px; font-weight: 600; padding: 2px 8px; border-radius: 999px; }
.badge.ok { background: #dcfce7; color: var(--ok); }
.badge.wait { background: #fef3c7; color: var(--warn); }
.payment .head { display: flex; justify-content: space-between; align-items: center; gap: 16px; }
.payment .head form { margin: 0; }
.crumbs { color: var(--muted); margin: 0 0 12px; }
.notice { background: #dbeafe; border: 1px solid #bfdbfe; padding: 8px 12px; border-radius: 6px; }
.problem { color: var(--bad); }
.timeline { list-style: none; margin: 0; padding: 0 0 0 18px; border-left: 2px solid var(--line); }
.timeline li { position: relative; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 0 0 10px 8px; }
.timeline li::before { content: ""; position: absolute; left: -35px; top: 14px; width: 12px; height: 12px; border-radius: 50%; background: #9ca3af; border: 2px solid var(--bg); }
.timeline li.answer::before { background: var(--accent); }
.timeline li.attempt.ok::before { background: var(--ok); }
.timeline li.attempt.failed::before { background: var(--bad); }
.timeline li.next::before { background: var(--warn); }
.timeline time { display: block; color: var(--muted); font-size: 12px; }
.timeline code { overflow-wrap: anywhere; }
details summary { cursor: pointer; color: var(--muted); font-size: 13px; margin-top: 4px; }
.signin { max-width: 380px; margin: 60px auto; background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 24px 28px; }
.signin form { display: grid; gap: 10px; }
.signin input { min-width: 0; }
`;
