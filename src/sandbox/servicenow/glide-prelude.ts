// The few Glide objects the update set's scripts use, written as JavaScript that runs inside
// the script's own context (glide-sandbox.ts) over `__input`, the JSON the simulator passes:
//   values  the record's fields (dot-walked ones as `field.subfield`), for `current`
//   roles   the user's roles, for gs.hasRole (admin has them all)
//   tables  rows of other tables (sys_attachment), for GlideAggregate
//   email   origemail, subject, body_text, for an inbound action's `email` (its `logger`
//           and `classifier` exist and do nothing)
//   user    the agent a UI action runs for (id, name, displayName), for gs.getUser…
// and what a script leaves behind: `__printed` (template.print), `__journal` (work_notes
// and comments written by current.update()), `__missingRoles` (roles gs.hasRole lacked),
// `__events` (gs.eventQueue: name, parm1, parm2).
// Only what the shipped scripts call exists: a script calling anything else fails here as it
// would not on an instance, which is the safe side for a simulator.
export const GLIDE_PRELUDE = String.raw`
var __printed = '';
var __journal = [];
var __missingRoles = [];
var __has = function (object, key) { return Object.prototype.hasOwnProperty.call(object, key); };
var __values = __input.values || {};
var current = {
  isValidField: function (field) { return Object.keys(__values).some(function (k) { return k === field || k.indexOf(field + '.') === 0; }); },
  getValue: function (field) { return __has(__values, field) ? __values[field] : null; },
  getUniqueValue: function () { return __values.sys_id || null; },
  getTableName: function () { return __values.sys_class_name || null; },
  getElement: function (path) { var v = __has(__values, path) ? __values[path] : ''; return { toString: function () { return v; } }; },
  update: function () {
    ['work_notes', 'comments'].forEach(function (field) {
      if (current[field] !== undefined && String(current[field]) !== '') __journal.push([field, String(current[field])]);
      current[field] = undefined;
    });
  }
};
var __events = [];
var __user = __input.user || {};
var gs = {
  hasRole: function (role) {
    var roles = __input.roles || [];
    if (roles.indexOf(role) >= 0 || roles.indexOf('admin') >= 0) return true;
    __missingRoles.push(String(role));
    return false;
  },
  getUserID: function () { return __user.id || ''; },
  getUserName: function () { return __user.name || ''; },
  getUserDisplayName: function () { return __user.displayName || ''; },
  eventQueue: function (name, record, parm1, parm2) { __events.push([String(name), parm1 == null ? '' : String(parm1), parm2 == null ? '' : String(parm2)]); },
  addInfoMessage: function () {}
};
var action = { setRedirectURL: function () {} };
var template = { print: function (text) { __printed += String(text); } };
var email = __input.email || {};
var email_action = {};
var event = {};
var logger = { log: function () {}, logWarning: function () {}, logError: function () {} };
var classifier = {};
function GlideAggregate(table) {
  var rows = (__input.tables || {})[table];
  if (!rows) throw new Error('GlideAggregate: the simulator holds no table ' + table);
  var queries = [];
  var counted = false;
  var done = false;
  this.addQuery = function (field, operator, value) {
    if (arguments.length === 2) { value = operator; operator = '='; }
    if (operator !== '=') throw new Error('GlideAggregate: the simulator knows only the = operator');
    queries.push([field, String(value)]);
  };
  this.addAggregate = function (aggregate) {
    if (aggregate !== 'COUNT') throw new Error('GlideAggregate: the simulator knows only COUNT');
    counted = true;
  };
  this.query = function () {};
  this.next = function () { if (done) return false; done = true; return true; };
  this.getAggregate = function (aggregate) {
    if (aggregate !== 'COUNT' || !counted) throw new Error('GlideAggregate: no COUNT was added');
    return String(rows.filter(function (row) { return queries.every(function (q) { return String(row[q[0]]) === q[1]; }); }).length);
  };
}
`;
