// huiqi: pages work without JavaScript. This file only adds conveniences and must stay
// optional (CSP: script-src 'self', no inline scripts).
"use strict";
