/**
 * The one stylesheet of the setup pages, served at /styles.css. Kept small (under 4 KB) and
 * self-contained: system fonts, no images, no third-party resources.
 */
export const STYLESHEET = `*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:1rem;line-height:1.5;color:#1b1f24;background:#f6f7f9}
header.site,main,footer.site{max-width:36rem;margin:0 auto;padding:1rem}
header.site{border-bottom:1px solid #d0d5dc}
.product{margin:0;font-weight:600;font-size:1.125rem}
main{background:#fff;border:1px solid #d0d5dc;border-radius:.5rem;margin-top:1.5rem}
footer.site{color:#4a5260;font-size:.875rem}
h1{font-size:1.5rem;line-height:1.25;margin:.25rem 0 1rem}
h2{font-size:1.125rem;margin:1.5rem 0 .5rem}
p{margin:0 0 1rem}
a{color:#0b57d0}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
form{margin:0 0 1rem}
.field{margin:0 0 1.25rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
.hint{display:block;color:#4a5260;font-size:.875rem;margin:0 0 .25rem}
input,select{display:block;width:100%;font:inherit;padding:.5rem .625rem;border:1px solid #6b7380;border-radius:.375rem;background:#fff;color:inherit}
input[aria-invalid="true"],select[aria-invalid="true"]{border:2px solid #b3261e}
input.code{max-width:10rem;letter-spacing:.25em;font-variant-numeric:tabular-nums}
.field-error{color:#b3261e;font-weight:600;margin:.25rem 0 0}
.error-summary{border:2px solid #b3261e;border-radius:.375rem;padding:.75rem 1rem;margin:0 0 1.25rem;background:#fdf1f0}
.error-summary h2{margin-top:0;color:#b3261e}
.error-summary ul{margin:0;padding-left:1.25rem}
.notice{border-left:4px solid #0b57d0;background:#eef3fd;padding:.75rem 1rem;margin:0 0 1rem}
.warning{border-left-color:#b06000;background:#fff5e6}
button{font:inherit;font-weight:600;padding:.625rem 1.25rem;border:0;border-radius:.375rem;background:#0b57d0;color:#fff;cursor:pointer}
button:hover{background:#0842a0}
button:disabled{background:#d0d5dc;color:#3c434d;cursor:not-allowed}
button.secondary{background:#fff;color:#0b57d0;border:1px solid #0b57d0}
.button{display:inline-block;font-weight:600;padding:.625rem 1.25rem;border-radius:.375rem;background:#0b57d0;color:#fff;text-decoration:none}
dl{display:grid;grid-template-columns:minmax(8rem,auto) 1fr;gap:.375rem 1rem;margin:0 0 1rem}
dt{font-weight:600;color:#4a5260}
dd{margin:0;overflow-wrap:anywhere}
table{width:100%;border-collapse:collapse;margin:0 0 1rem;font-size:.9375rem}
caption{text-align:left;font-weight:600;padding-bottom:.25rem}
th,td{text-align:left;padding:.5rem;border-bottom:1px solid #d0d5dc;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.reference{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
input.key,code.ac{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}input.key{text-transform:uppercase}code.ac{white-space:nowrap;font-weight:600}
tr.conflict td{color:#6b3a00;border-bottom:0}
tr.conflict-note td{background:#fff5e6;color:#6b3a00;font-size:.875rem}
nav.account{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:0 0 1rem}
nav.account form{margin:0 0 0 auto}
nav.account [aria-current]{font-weight:600;text-decoration:none;color:inherit}
.bar{display:block;width:100%;height:.75rem}
.bar .track{fill:#e6e9ee}.used{fill:#0b57d0;background:#0b57d0}.free{fill:#9fbff0;background:#9fbff0}.over{fill:#b3261e;background:#b3261e}
dd.over{background:none;color:#b3261e;font-weight:600}
td.chart{width:35%;vertical-align:middle}
figure.usage{margin:0 0 1rem}
.key{display:inline-block;width:.75rem;height:.75rem;margin:0 .25rem 0 .5rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
@media (max-width:30rem){main{margin-top:0;border-radius:0;border-width:1px 0}dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}
@media (prefers-reduced-motion:reduce){*{transition:none!important}}
`;
