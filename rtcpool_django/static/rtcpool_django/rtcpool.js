(() => {
  var __getOwnPropNames = Object.getOwnPropertyNames;
  var __commonJS = (cb, mod) => function __require() {
    try {
      return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
    } catch (e) {
      throw mod = 0, e;
    }
  };

  // node_modules/@babel/runtime/helpers/interopRequireDefault.js
  var require_interopRequireDefault = __commonJS({
    "node_modules/@babel/runtime/helpers/interopRequireDefault.js"(exports, module) {
      function _interopRequireDefault(e) {
        return e && e.__esModule ? e : {
          "default": e
        };
      }
      module.exports = _interopRequireDefault, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/OverloadYield.js
  var require_OverloadYield = __commonJS({
    "node_modules/@babel/runtime/helpers/OverloadYield.js"(exports, module) {
      function _OverloadYield(e, d) {
        this.v = e, this.k = d;
      }
      module.exports = _OverloadYield, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/regeneratorDefine.js
  var require_regeneratorDefine = __commonJS({
    "node_modules/@babel/runtime/helpers/regeneratorDefine.js"(exports, module) {
      function _regeneratorDefine(e, r, n, t) {
        var i = Object.defineProperty;
        try {
          i({}, "", {});
        } catch (e2) {
          i = 0;
        }
        module.exports = _regeneratorDefine = function regeneratorDefine(e2, r2, n2, t2) {
          function o(r3, n3) {
            _regeneratorDefine(e2, r3, function(e3) {
              return this._invoke(r3, n3, e3);
            });
          }
          r2 ? i ? i(e2, r2, {
            value: n2,
            enumerable: !t2,
            configurable: !t2,
            writable: !t2
          }) : e2[r2] = n2 : (o("next", 0), o("throw", 1), o("return", 2));
        }, module.exports.__esModule = true, module.exports["default"] = module.exports, _regeneratorDefine(e, r, n, t);
      }
      module.exports = _regeneratorDefine, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/regenerator.js
  var require_regenerator = __commonJS({
    "node_modules/@babel/runtime/helpers/regenerator.js"(exports, module) {
      var regeneratorDefine = require_regeneratorDefine();
      function _regenerator() {
        var e, t, r = "function" == typeof Symbol ? Symbol : {}, n = r.iterator || "@@iterator", o = r.toStringTag || "@@toStringTag";
        function i(r2, n2, o2, i2) {
          var c2 = n2 && n2.prototype instanceof Generator ? n2 : Generator, u2 = Object.create(c2.prototype);
          return regeneratorDefine(u2, "_invoke", (function(r3, n3, o3) {
            var i3, c3, u3, f2 = 0, p = o3 || [], y = false, G = {
              p: 0,
              n: 0,
              v: e,
              a: d,
              f: d.bind(e, 4),
              d: function d2(t2, r4) {
                return i3 = t2, c3 = 0, u3 = e, G.n = r4, a;
              }
            };
            function d(r4, n4) {
              for (c3 = r4, u3 = n4, t = 0; !y && f2 && !o4 && t < p.length; t++) {
                var o4, i4 = p[t], d2 = G.p, l = i4[2];
                r4 > 3 ? (o4 = l === n4) && (u3 = i4[(c3 = i4[4]) ? 5 : (c3 = 3, 3)], i4[4] = i4[5] = e) : i4[0] <= d2 && ((o4 = r4 < 2 && d2 < i4[1]) ? (c3 = 0, G.v = n4, G.n = i4[1]) : d2 < l && (o4 = r4 < 3 || i4[0] > n4 || n4 > l) && (i4[4] = r4, i4[5] = n4, G.n = l, c3 = 0));
              }
              if (o4 || r4 > 1) return a;
              throw y = true, n4;
            }
            return function(o4, p2, l) {
              if (f2 > 1) throw TypeError("Generator is already running");
              for (y && 1 === p2 && d(p2, l), c3 = p2, u3 = l; (t = c3 < 2 ? e : u3) || !y; ) {
                i3 || (c3 ? (c3 > 1 && (G.n = c3 < 3 ? -1 : u3), d(c3, u3)) : G.v = u3);
                try {
                  if (f2 = 2, i3) {
                    if (c3 || (o4 = "next"), t = i3[o4]) {
                      if (!(t = t.call(i3, u3))) throw TypeError("iterator result is not an object");
                      if (!t.done) return t;
                      u3 = t.value, c3 < 2 && (c3 = 0);
                    } else 1 === c3 && (t = i3["return"]) && t.call(i3), c3 < 2 && (u3 = TypeError("The iterator does not provide a '" + o4 + "' method"), c3 = 1);
                    i3 = e;
                  } else if ((t = (y = G.n < 0) ? u3 : r3.call(n3, G)) !== a) break;
                } catch (t2) {
                  i3 = e, c3 = 1, u3 = t2;
                } finally {
                  f2 = 1;
                }
              }
              return {
                value: t,
                done: y
              };
            };
          })(r2, o2, i2), true), u2;
        }
        var a = {};
        function Generator() {
        }
        function GeneratorFunction() {
        }
        function GeneratorFunctionPrototype() {
        }
        t = Object.getPrototypeOf;
        var c = [][n] ? t(t([][n]())) : (regeneratorDefine(t = {}, n, function() {
          return this;
        }), t), u = GeneratorFunctionPrototype.prototype = Generator.prototype = Object.create(c);
        function f(e2) {
          return Object.setPrototypeOf ? Object.setPrototypeOf(e2, GeneratorFunctionPrototype) : (e2.__proto__ = GeneratorFunctionPrototype, regeneratorDefine(e2, o, "GeneratorFunction")), e2.prototype = Object.create(u), e2;
        }
        return GeneratorFunction.prototype = GeneratorFunctionPrototype, regeneratorDefine(u, "constructor", GeneratorFunctionPrototype), regeneratorDefine(GeneratorFunctionPrototype, "constructor", GeneratorFunction), GeneratorFunction.displayName = "GeneratorFunction", regeneratorDefine(GeneratorFunctionPrototype, o, "GeneratorFunction"), regeneratorDefine(u), regeneratorDefine(u, o, "Generator"), regeneratorDefine(u, n, function() {
          return this;
        }), regeneratorDefine(u, "toString", function() {
          return "[object Generator]";
        }), (module.exports = _regenerator = function _regenerator2() {
          return {
            w: i,
            m: f
          };
        }, module.exports.__esModule = true, module.exports["default"] = module.exports)();
      }
      module.exports = _regenerator, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/regeneratorAsyncIterator.js
  var require_regeneratorAsyncIterator = __commonJS({
    "node_modules/@babel/runtime/helpers/regeneratorAsyncIterator.js"(exports, module) {
      var OverloadYield = require_OverloadYield();
      var regeneratorDefine = require_regeneratorDefine();
      function AsyncIterator(t, e) {
        function n(r2, o, i, f) {
          try {
            var c = t[r2](o), u = c.value;
            return u instanceof OverloadYield ? e.resolve(u.v).then(function(t2) {
              n("next", t2, i, f);
            }, function(t2) {
              n("throw", t2, i, f);
            }) : e.resolve(u).then(function(t2) {
              c.value = t2, i(c);
            }, function(t2) {
              return n("throw", t2, i, f);
            });
          } catch (t2) {
            f(t2);
          }
        }
        var r;
        this.next || (regeneratorDefine(AsyncIterator.prototype), regeneratorDefine(AsyncIterator.prototype, "function" == typeof Symbol && Symbol.asyncIterator || "@asyncIterator", function() {
          return this;
        })), regeneratorDefine(this, "_invoke", function(t2, o, i) {
          function f() {
            return new e(function(e2, r2) {
              n(t2, i, e2, r2);
            });
          }
          return r = r ? r.then(f, f) : f();
        }, true);
      }
      module.exports = AsyncIterator, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/regeneratorAsyncGen.js
  var require_regeneratorAsyncGen = __commonJS({
    "node_modules/@babel/runtime/helpers/regeneratorAsyncGen.js"(exports, module) {
      var regenerator = require_regenerator();
      var regeneratorAsyncIterator = require_regeneratorAsyncIterator();
      function _regeneratorAsyncGen(r, e, t, o, n) {
        return new regeneratorAsyncIterator(regenerator().w(r, e, t, o), n || Promise);
      }
      module.exports = _regeneratorAsyncGen, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/regeneratorAsync.js
  var require_regeneratorAsync = __commonJS({
    "node_modules/@babel/runtime/helpers/regeneratorAsync.js"(exports, module) {
      var regeneratorAsyncGen = require_regeneratorAsyncGen();
      function _regeneratorAsync(n, e, r, t, o) {
        var a = regeneratorAsyncGen(n, e, r, t, o);
        return a.next().then(function(n2) {
          return n2.done ? n2.value : a.next();
        });
      }
      module.exports = _regeneratorAsync, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/regeneratorKeys.js
  var require_regeneratorKeys = __commonJS({
    "node_modules/@babel/runtime/helpers/regeneratorKeys.js"(exports, module) {
      function _regeneratorKeys(e) {
        var n = Object(e), r = [];
        for (var t in n) r.unshift(t);
        return function e2() {
          for (; r.length; ) if ((t = r.pop()) in n) return e2.value = t, e2.done = false, e2;
          return e2.done = true, e2;
        };
      }
      module.exports = _regeneratorKeys, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/typeof.js
  var require_typeof = __commonJS({
    "node_modules/@babel/runtime/helpers/typeof.js"(exports, module) {
      function _typeof(o) {
        "@babel/helpers - typeof";
        return module.exports = _typeof = "function" == typeof Symbol && "symbol" == typeof Symbol.iterator ? function(o2) {
          return typeof o2;
        } : function(o2) {
          return o2 && "function" == typeof Symbol && o2.constructor === Symbol && o2 !== Symbol.prototype ? "symbol" : typeof o2;
        }, module.exports.__esModule = true, module.exports["default"] = module.exports, _typeof(o);
      }
      module.exports = _typeof, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/regeneratorValues.js
  var require_regeneratorValues = __commonJS({
    "node_modules/@babel/runtime/helpers/regeneratorValues.js"(exports, module) {
      var _typeof = require_typeof()["default"];
      function _regeneratorValues(e) {
        if (null != e) {
          var t = e["function" == typeof Symbol && Symbol.iterator || "@@iterator"], r = 0;
          if (t) return t.call(e);
          if ("function" == typeof e.next) return e;
          if (!isNaN(e.length)) return {
            next: function next() {
              return e && r >= e.length && (e = void 0), {
                value: e && e[r++],
                done: !e
              };
            }
          };
        }
        throw new TypeError(_typeof(e) + " is not iterable");
      }
      module.exports = _regeneratorValues, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/regeneratorRuntime.js
  var require_regeneratorRuntime = __commonJS({
    "node_modules/@babel/runtime/helpers/regeneratorRuntime.js"(exports, module) {
      var OverloadYield = require_OverloadYield();
      var regenerator = require_regenerator();
      var regeneratorAsync = require_regeneratorAsync();
      var regeneratorAsyncGen = require_regeneratorAsyncGen();
      var regeneratorAsyncIterator = require_regeneratorAsyncIterator();
      var regeneratorKeys = require_regeneratorKeys();
      var regeneratorValues = require_regeneratorValues();
      function _regeneratorRuntime() {
        "use strict";
        var r = regenerator(), e = r.m(_regeneratorRuntime), t = (Object.getPrototypeOf ? Object.getPrototypeOf(e) : e.__proto__).constructor;
        function n(r2) {
          var e2 = "function" == typeof r2 && r2.constructor;
          return !!e2 && (e2 === t || "GeneratorFunction" === (e2.displayName || e2.name));
        }
        var o = {
          "throw": 1,
          "return": 2,
          "break": 3,
          "continue": 3
        };
        function a(r2) {
          var e2, t2;
          return function(n2) {
            e2 || (e2 = {
              stop: function stop() {
                return t2(n2.a, 2);
              },
              "catch": function _catch() {
                return n2.v;
              },
              abrupt: function abrupt(r3, e3) {
                return t2(n2.a, o[r3], e3);
              },
              delegateYield: function delegateYield(r3, o2, a2) {
                return e2.resultName = o2, t2(n2.d, regeneratorValues(r3), a2);
              },
              finish: function finish(r3) {
                return t2(n2.f, r3);
              }
            }, t2 = function t3(r3, _t, o2) {
              n2.p = e2.prev, n2.n = e2.next;
              try {
                return r3(_t, o2);
              } finally {
                e2.next = n2.n;
              }
            }), e2.resultName && (e2[e2.resultName] = n2.v, e2.resultName = void 0), e2.sent = n2.v, e2.next = n2.n;
            try {
              return r2.call(this, e2);
            } finally {
              n2.p = e2.prev, n2.n = e2.next;
            }
          };
        }
        return (module.exports = _regeneratorRuntime = function _regeneratorRuntime2() {
          return {
            wrap: function wrap(e2, t2, n2, o2) {
              return r.w(a(e2), t2, n2, o2 && o2.reverse());
            },
            isGeneratorFunction: n,
            mark: r.m,
            awrap: function awrap(r2, e2) {
              return new OverloadYield(r2, e2);
            },
            AsyncIterator: regeneratorAsyncIterator,
            async: function async(r2, e2, t2, o2, u) {
              return (n(e2) ? regeneratorAsyncGen : regeneratorAsync)(a(r2), e2, t2, o2, u);
            },
            keys: regeneratorKeys,
            values: regeneratorValues
          };
        }, module.exports.__esModule = true, module.exports["default"] = module.exports)();
      }
      module.exports = _regeneratorRuntime, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/regenerator/index.js
  var require_regenerator2 = __commonJS({
    "node_modules/@babel/runtime/regenerator/index.js"(exports, module) {
      var runtime = require_regeneratorRuntime()();
      module.exports = runtime;
      try {
        regeneratorRuntime = runtime;
      } catch (accidentalStrictMode) {
        if (typeof globalThis === "object") {
          globalThis.regeneratorRuntime = runtime;
        } else {
          Function("r", "regeneratorRuntime = r")(runtime);
        }
      }
    }
  });

  // node_modules/@babel/runtime/helpers/asyncToGenerator.js
  var require_asyncToGenerator = __commonJS({
    "node_modules/@babel/runtime/helpers/asyncToGenerator.js"(exports, module) {
      function asyncGeneratorStep(n, t, e, r, o, a, c) {
        try {
          var i = n[a](c), u = i.value;
        } catch (n2) {
          return void e(n2);
        }
        i.done ? t(u) : Promise.resolve(u).then(r, o);
      }
      function _asyncToGenerator(n) {
        return function() {
          var t = this, e = arguments;
          return new Promise(function(r, o) {
            var a = n.apply(t, e);
            function _next(n2) {
              asyncGeneratorStep(a, r, o, _next, _throw, "next", n2);
            }
            function _throw(n2) {
              asyncGeneratorStep(a, r, o, _next, _throw, "throw", n2);
            }
            _next(void 0);
          });
        };
      }
      module.exports = _asyncToGenerator, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/classCallCheck.js
  var require_classCallCheck = __commonJS({
    "node_modules/@babel/runtime/helpers/classCallCheck.js"(exports, module) {
      function _classCallCheck(a, n) {
        if (!(a instanceof n)) throw new TypeError("Cannot call a class as a function");
      }
      module.exports = _classCallCheck, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/toPrimitive.js
  var require_toPrimitive = __commonJS({
    "node_modules/@babel/runtime/helpers/toPrimitive.js"(exports, module) {
      var _typeof = require_typeof()["default"];
      function toPrimitive(t, e) {
        if ("object" != _typeof(t) || !t) return t;
        var r;
        if ("undefined" != typeof Symbol && void 0 !== (r = t[Symbol.toPrimitive])) {
          var i = r.call(t, e || "default");
          if ("object" != _typeof(i)) return i;
          throw new TypeError("@@toPrimitive must return a primitive value.");
        }
        return ("string" === e ? String : Number)(t);
      }
      module.exports = toPrimitive, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/toPropertyKey.js
  var require_toPropertyKey = __commonJS({
    "node_modules/@babel/runtime/helpers/toPropertyKey.js"(exports, module) {
      var _typeof = require_typeof()["default"];
      var toPrimitive = require_toPrimitive();
      function toPropertyKey(t) {
        var i = toPrimitive(t, "string");
        return "symbol" == _typeof(i) ? i : i + "";
      }
      module.exports = toPropertyKey, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/createClass.js
  var require_createClass = __commonJS({
    "node_modules/@babel/runtime/helpers/createClass.js"(exports, module) {
      var toPropertyKey = require_toPropertyKey();
      function _defineProperties(e, r) {
        for (var t = 0; t < r.length; t++) {
          var o = r[t];
          o.enumerable = o.enumerable || false, o.configurable = true, "value" in o && (o.writable = true), Object.defineProperty(e, toPropertyKey(o.key), o);
        }
      }
      function _createClass(e, r, t) {
        return r && _defineProperties(e.prototype, r), t && _defineProperties(e, t), Object.defineProperty(e, "prototype", {
          writable: false
        }), e;
      }
      module.exports = _createClass, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/defineProperty.js
  var require_defineProperty = __commonJS({
    "node_modules/@babel/runtime/helpers/defineProperty.js"(exports, module) {
      var toPropertyKey = require_toPropertyKey();
      function _defineProperty(e, r, t) {
        return (r = toPropertyKey(r)) in e ? Object.defineProperty(e, r, {
          value: t,
          enumerable: true,
          configurable: true,
          writable: true
        }) : e[r] = t, e;
      }
      module.exports = _defineProperty, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/classApplyDescriptorGet.js
  var require_classApplyDescriptorGet = __commonJS({
    "node_modules/@babel/runtime/helpers/classApplyDescriptorGet.js"(exports, module) {
      function _classApplyDescriptorGet(e, t) {
        return t.get ? t.get.call(e) : t.value;
      }
      module.exports = _classApplyDescriptorGet, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/assertClassBrand.js
  var require_assertClassBrand = __commonJS({
    "node_modules/@babel/runtime/helpers/assertClassBrand.js"(exports, module) {
      function _assertClassBrand(e, t, n) {
        if ("function" == typeof e ? e === t : e.has(t)) return arguments.length < 3 ? t : n;
        throw new TypeError("Private element is not present on this object");
      }
      module.exports = _assertClassBrand, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/classPrivateFieldGet2.js
  var require_classPrivateFieldGet2 = __commonJS({
    "node_modules/@babel/runtime/helpers/classPrivateFieldGet2.js"(exports, module) {
      var assertClassBrand = require_assertClassBrand();
      function _classPrivateFieldGet2(s, a) {
        return s.get(assertClassBrand(s, a));
      }
      module.exports = _classPrivateFieldGet2, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/classPrivateFieldGet.js
  var require_classPrivateFieldGet = __commonJS({
    "node_modules/@babel/runtime/helpers/classPrivateFieldGet.js"(exports, module) {
      var classApplyDescriptorGet = require_classApplyDescriptorGet();
      var classPrivateFieldGet2 = require_classPrivateFieldGet2();
      function _classPrivateFieldGet(e, t) {
        var r = classPrivateFieldGet2(t, e);
        return classApplyDescriptorGet(e, r);
      }
      module.exports = _classPrivateFieldGet, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/classApplyDescriptorSet.js
  var require_classApplyDescriptorSet = __commonJS({
    "node_modules/@babel/runtime/helpers/classApplyDescriptorSet.js"(exports, module) {
      function _classApplyDescriptorSet(e, t, l) {
        if (t.set) t.set.call(e, l);
        else {
          if (!t.writable) throw new TypeError("attempted to set read only private field");
          t.value = l;
        }
      }
      module.exports = _classApplyDescriptorSet, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/classPrivateFieldSet.js
  var require_classPrivateFieldSet = __commonJS({
    "node_modules/@babel/runtime/helpers/classPrivateFieldSet.js"(exports, module) {
      var classApplyDescriptorSet = require_classApplyDescriptorSet();
      var classPrivateFieldGet2 = require_classPrivateFieldGet2();
      function _classPrivateFieldSet(e, t, r) {
        var s = classPrivateFieldGet2(t, e);
        return classApplyDescriptorSet(e, s, r), r;
      }
      module.exports = _classPrivateFieldSet, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/rtcpool/bin/util.js
  var require_util = __commonJS({
    "node_modules/rtcpool/bin/util.js"(exports, module) {
      "use strict";
      function _createForOfIteratorHelper(o, allowArrayLike) {
        var it = typeof Symbol !== "undefined" && o[Symbol.iterator] || o["@@iterator"];
        if (!it) {
          if (Array.isArray(o) || (it = _unsupportedIterableToArray(o)) || allowArrayLike && o && typeof o.length === "number") {
            if (it) o = it;
            var i = 0;
            var F = function F2() {
            };
            return { s: F, n: function n() {
              if (i >= o.length) return { done: true };
              return { done: false, value: o[i++] };
            }, e: function e(_e) {
              throw _e;
            }, f: F };
          }
          throw new TypeError("Invalid attempt to iterate non-iterable instance.\nIn order to be iterable, non-array objects must have a [Symbol.iterator]() method.");
        }
        var normalCompletion = true, didErr = false, err;
        return { s: function s() {
          it = it.call(o);
        }, n: function n() {
          var step = it.next();
          normalCompletion = step.done;
          return step;
        }, e: function e(_e2) {
          didErr = true;
          err = _e2;
        }, f: function f() {
          try {
            if (!normalCompletion && it["return"] != null) it["return"]();
          } finally {
            if (didErr) throw err;
          }
        } };
      }
      function _unsupportedIterableToArray(o, minLen) {
        if (!o) return;
        if (typeof o === "string") return _arrayLikeToArray(o, minLen);
        var n = Object.prototype.toString.call(o).slice(8, -1);
        if (n === "Object" && o.constructor) n = o.constructor.name;
        if (n === "Map" || n === "Set") return Array.from(o);
        if (n === "Arguments" || /^(?:Ui|I)nt(?:8|16|32)(?:Clamped)?Array$/.test(n)) return _arrayLikeToArray(o, minLen);
      }
      function _arrayLikeToArray(arr, len) {
        if (len == null || len > arr.length) len = arr.length;
        for (var i = 0, arr2 = new Array(len); i < len; i++) {
          arr2[i] = arr[i];
        }
        return arr2;
      }
      function multiproxy(arr) {
        return new Proxy(arr, {
          get: function get(obj, prop, receiver) {
            if (obj.length === 0) return void 0;
            var all_fn = true;
            var ret = obj.map(function(item) {
              var attr = item[prop];
              if (typeof attr === "function") {
                var res = attr.bind(item);
                return res;
              } else {
                all_fn = false;
                return attr;
              }
            });
            if (all_fn) {
              return function() {
                for (var _len = arguments.length, args = new Array(_len), _key = 0; _key < _len; _key++) {
                  args[_key] = arguments[_key];
                }
                return ret.map(function(fn) {
                  return fn.apply(void 0, args);
                });
              };
            } else {
              return ret;
            }
          },
          set: function set(obj, prop, val) {
            obj.forEach(function(item) {
              item[prop] = val;
            });
            return true;
          }
        });
      }
      function withattrs(obj, attrs) {
        return new Proxy(obj, {
          get: function get(inst, prop, receiver) {
            if (prop in attrs) {
              return attrs[prop];
            } else {
              var val = Reflect.get(inst, prop);
              if (typeof val === "function") {
                return val.bind(inst);
              } else {
                return val;
              }
            }
          }
        });
      }
      function withon(evt_target, evt_types) {
        var transform_event = arguments.length > 2 && arguments[2] !== void 0 ? arguments[2] : null;
        var _iterator2 = _createForOfIteratorHelper(evt_types), _step2;
        try {
          var _loop = function _loop2() {
            var evt_type = _step2.value;
            evt_target["on" + evt_type] = null;
            evt_target.addEventListener(evt_type, function(event) {
              var handler = evt_target["on" + evt_type];
              handler && handler(transform_event ? transform_event(event) : event);
            });
          };
          for (_iterator2.s(); !(_step2 = _iterator2.n()).done; ) {
            _loop();
          }
        } catch (err) {
          _iterator2.e(err);
        } finally {
          _iterator2.f();
        }
        return evt_target;
      }
      module.exports = {
        "multiproxy": multiproxy,
        "withattrs": withattrs,
        "withon": withon
      };
    }
  });

  // node_modules/@babel/runtime/helpers/assertThisInitialized.js
  var require_assertThisInitialized = __commonJS({
    "node_modules/@babel/runtime/helpers/assertThisInitialized.js"(exports, module) {
      function _assertThisInitialized(e) {
        if (void 0 === e) throw new ReferenceError("this hasn't been initialised - super() hasn't been called");
        return e;
      }
      module.exports = _assertThisInitialized, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/setPrototypeOf.js
  var require_setPrototypeOf = __commonJS({
    "node_modules/@babel/runtime/helpers/setPrototypeOf.js"(exports, module) {
      function _setPrototypeOf(t, e) {
        return module.exports = _setPrototypeOf = Object.setPrototypeOf ? Object.setPrototypeOf.bind() : function(t2, e2) {
          return t2.__proto__ = e2, t2;
        }, module.exports.__esModule = true, module.exports["default"] = module.exports, _setPrototypeOf(t, e);
      }
      module.exports = _setPrototypeOf, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/inherits.js
  var require_inherits = __commonJS({
    "node_modules/@babel/runtime/helpers/inherits.js"(exports, module) {
      var setPrototypeOf = require_setPrototypeOf();
      function _inherits(t, e) {
        if ("function" != typeof e && null !== e) throw new TypeError("Super expression must either be null or a function");
        t.prototype = Object.create(e && e.prototype, {
          constructor: {
            value: t,
            writable: true,
            configurable: true
          }
        }), Object.defineProperty(t, "prototype", {
          writable: false
        }), e && setPrototypeOf(t, e);
      }
      module.exports = _inherits, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/possibleConstructorReturn.js
  var require_possibleConstructorReturn = __commonJS({
    "node_modules/@babel/runtime/helpers/possibleConstructorReturn.js"(exports, module) {
      var _typeof = require_typeof()["default"];
      var assertThisInitialized = require_assertThisInitialized();
      function _possibleConstructorReturn(t, e) {
        if (e && ("object" == _typeof(e) || "function" == typeof e)) return e;
        if (void 0 !== e) throw new TypeError("Derived constructors may only return object or undefined");
        return assertThisInitialized(t);
      }
      module.exports = _possibleConstructorReturn, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/getPrototypeOf.js
  var require_getPrototypeOf = __commonJS({
    "node_modules/@babel/runtime/helpers/getPrototypeOf.js"(exports, module) {
      function _getPrototypeOf(t) {
        return module.exports = _getPrototypeOf = Object.setPrototypeOf ? Object.getPrototypeOf.bind() : function(t2) {
          return t2.__proto__ || Object.getPrototypeOf(t2);
        }, module.exports.__esModule = true, module.exports["default"] = module.exports, _getPrototypeOf(t);
      }
      module.exports = _getPrototypeOf, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/isNativeFunction.js
  var require_isNativeFunction = __commonJS({
    "node_modules/@babel/runtime/helpers/isNativeFunction.js"(exports, module) {
      function _isNativeFunction(t) {
        try {
          return -1 !== Function.toString.call(t).indexOf("[native code]");
        } catch (n) {
          return "function" == typeof t;
        }
      }
      module.exports = _isNativeFunction, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/isNativeReflectConstruct.js
  var require_isNativeReflectConstruct = __commonJS({
    "node_modules/@babel/runtime/helpers/isNativeReflectConstruct.js"(exports, module) {
      function _isNativeReflectConstruct() {
        try {
          var t = !Boolean.prototype.valueOf.call(Reflect.construct(Boolean, [], function() {
          }));
        } catch (t2) {
        }
        return (module.exports = _isNativeReflectConstruct = function _isNativeReflectConstruct2() {
          return !!t;
        }, module.exports.__esModule = true, module.exports["default"] = module.exports)();
      }
      module.exports = _isNativeReflectConstruct, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/construct.js
  var require_construct = __commonJS({
    "node_modules/@babel/runtime/helpers/construct.js"(exports, module) {
      var isNativeReflectConstruct = require_isNativeReflectConstruct();
      var setPrototypeOf = require_setPrototypeOf();
      function _construct(t, e, r) {
        if (isNativeReflectConstruct()) return Reflect.construct.apply(null, arguments);
        var o = [null];
        o.push.apply(o, e);
        var p = new (t.bind.apply(t, o))();
        return r && setPrototypeOf(p, r.prototype), p;
      }
      module.exports = _construct, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/@babel/runtime/helpers/wrapNativeSuper.js
  var require_wrapNativeSuper = __commonJS({
    "node_modules/@babel/runtime/helpers/wrapNativeSuper.js"(exports, module) {
      var getPrototypeOf = require_getPrototypeOf();
      var setPrototypeOf = require_setPrototypeOf();
      var isNativeFunction = require_isNativeFunction();
      var construct = require_construct();
      function _wrapNativeSuper(t) {
        var r = "function" == typeof Map ? /* @__PURE__ */ new Map() : void 0;
        return module.exports = _wrapNativeSuper = function _wrapNativeSuper2(t2) {
          if (null === t2 || !isNativeFunction(t2)) return t2;
          if ("function" != typeof t2) throw new TypeError("Super expression must either be null or a function");
          if (void 0 !== r) {
            if (r.has(t2)) return r.get(t2);
            r.set(t2, Wrapper);
          }
          function Wrapper() {
            return construct(t2, arguments, getPrototypeOf(this).constructor);
          }
          return Wrapper.prototype = Object.create(t2.prototype, {
            constructor: {
              value: Wrapper,
              enumerable: false,
              writable: true,
              configurable: true
            }
          }), setPrototypeOf(Wrapper, t2);
        }, module.exports.__esModule = true, module.exports["default"] = module.exports, _wrapNativeSuper(t);
      }
      module.exports = _wrapNativeSuper, module.exports.__esModule = true, module.exports["default"] = module.exports;
    }
  });

  // node_modules/rtcpool/bin/media.js
  var require_media = __commonJS({
    "node_modules/rtcpool/bin/media.js"(exports, module) {
      "use strict";
      var _interopRequireDefault = require_interopRequireDefault();
      var _classCallCheck2 = _interopRequireDefault(require_classCallCheck());
      var _createClass2 = _interopRequireDefault(require_createClass());
      var _assertThisInitialized2 = _interopRequireDefault(require_assertThisInitialized());
      var _inherits2 = _interopRequireDefault(require_inherits());
      var _possibleConstructorReturn2 = _interopRequireDefault(require_possibleConstructorReturn());
      var _getPrototypeOf2 = _interopRequireDefault(require_getPrototypeOf());
      var _wrapNativeSuper2 = _interopRequireDefault(require_wrapNativeSuper());
      var _classPrivateFieldGet2 = _interopRequireDefault(require_classPrivateFieldGet());
      var _classPrivateFieldSet2 = _interopRequireDefault(require_classPrivateFieldSet());
      function _createForOfIteratorHelper(o, allowArrayLike) {
        var it = typeof Symbol !== "undefined" && o[Symbol.iterator] || o["@@iterator"];
        if (!it) {
          if (Array.isArray(o) || (it = _unsupportedIterableToArray(o)) || allowArrayLike && o && typeof o.length === "number") {
            if (it) o = it;
            var i = 0;
            var F = function F2() {
            };
            return { s: F, n: function n() {
              if (i >= o.length) return { done: true };
              return { done: false, value: o[i++] };
            }, e: function e(_e) {
              throw _e;
            }, f: F };
          }
          throw new TypeError("Invalid attempt to iterate non-iterable instance.\nIn order to be iterable, non-array objects must have a [Symbol.iterator]() method.");
        }
        var normalCompletion = true, didErr = false, err;
        return { s: function s() {
          it = it.call(o);
        }, n: function n() {
          var step = it.next();
          normalCompletion = step.done;
          return step;
        }, e: function e(_e2) {
          didErr = true;
          err = _e2;
        }, f: function f() {
          try {
            if (!normalCompletion && it["return"] != null) it["return"]();
          } finally {
            if (didErr) throw err;
          }
        } };
      }
      function _unsupportedIterableToArray(o, minLen) {
        if (!o) return;
        if (typeof o === "string") return _arrayLikeToArray(o, minLen);
        var n = Object.prototype.toString.call(o).slice(8, -1);
        if (n === "Object" && o.constructor) n = o.constructor.name;
        if (n === "Map" || n === "Set") return Array.from(o);
        if (n === "Arguments" || /^(?:Ui|I)nt(?:8|16|32)(?:Clamped)?Array$/.test(n)) return _arrayLikeToArray(o, minLen);
      }
      function _arrayLikeToArray(arr, len) {
        if (len == null || len > arr.length) len = arr.length;
        for (var i = 0, arr2 = new Array(len); i < len; i++) {
          arr2[i] = arr[i];
        }
        return arr2;
      }
      function _createSuper(Derived) {
        var hasNativeReflectConstruct = _isNativeReflectConstruct();
        return function _createSuperInternal() {
          var Super = (0, _getPrototypeOf2["default"])(Derived), result;
          if (hasNativeReflectConstruct) {
            var NewTarget = (0, _getPrototypeOf2["default"])(this).constructor;
            result = Reflect.construct(Super, arguments, NewTarget);
          } else {
            result = Super.apply(this, arguments);
          }
          return (0, _possibleConstructorReturn2["default"])(this, result);
        };
      }
      function _isNativeReflectConstruct() {
        if (typeof Reflect === "undefined" || !Reflect.construct) return false;
        if (Reflect.construct.sham) return false;
        if (typeof Proxy === "function") return true;
        try {
          Boolean.prototype.valueOf.call(Reflect.construct(Boolean, [], function() {
          }));
          return true;
        } catch (e) {
          return false;
        }
      }
      function _classPrivateMethodInitSpec(obj, privateSet) {
        _checkPrivateRedeclaration(obj, privateSet);
        privateSet.add(obj);
      }
      function _classPrivateFieldInitSpec(obj, privateMap, value) {
        _checkPrivateRedeclaration(obj, privateMap);
        privateMap.set(obj, value);
      }
      function _checkPrivateRedeclaration(obj, privateCollection) {
        if (privateCollection.has(obj)) {
          throw new TypeError("Cannot initialize the same private elements twice on an object");
        }
      }
      function _classPrivateMethodGet(receiver, privateSet, fn) {
        if (!privateSet.has(receiver)) {
          throw new TypeError("attempted to get private field on non-instance");
        }
        return fn;
      }
      function valid_kind(kind) {
        if (![null, "video", "audio"].includes(kind)) {
          throw new Error('Invalid track kind "'.concat(kind, '"'));
        }
      }
      var _streams = /* @__PURE__ */ new WeakMap();
      var _tracks = /* @__PURE__ */ new WeakMap();
      var _senders = /* @__PURE__ */ new WeakMap();
      var _pool = /* @__PURE__ */ new WeakMap();
      var _bound_updater = /* @__PURE__ */ new WeakMap();
      var _prune = /* @__PURE__ */ new WeakSet();
      var _update_peer = /* @__PURE__ */ new WeakSet();
      var ManagedStream = /* @__PURE__ */ (function(_EventTarget) {
        (0, _inherits2["default"])(ManagedStream2, _EventTarget);
        var _super = _createSuper(ManagedStream2);
        function ManagedStream2(stream, pool) {
          var _this;
          (0, _classCallCheck2["default"])(this, ManagedStream2);
          _this = _super.call(this);
          _classPrivateMethodInitSpec((0, _assertThisInitialized2["default"])(_this), _update_peer);
          _classPrivateMethodInitSpec((0, _assertThisInitialized2["default"])(_this), _prune);
          _classPrivateFieldInitSpec((0, _assertThisInitialized2["default"])(_this), _streams, {
            writable: true,
            value: void 0
          });
          _classPrivateFieldInitSpec((0, _assertThisInitialized2["default"])(_this), _tracks, {
            writable: true,
            value: void 0
          });
          _classPrivateFieldInitSpec((0, _assertThisInitialized2["default"])(_this), _senders, {
            writable: true,
            value: void 0
          });
          _classPrivateFieldInitSpec((0, _assertThisInitialized2["default"])(_this), _pool, {
            writable: true,
            value: void 0
          });
          _classPrivateFieldInitSpec((0, _assertThisInitialized2["default"])(_this), _bound_updater, {
            writable: true,
            value: void 0
          });
          (0, _classPrivateFieldSet2["default"])((0, _assertThisInitialized2["default"])(_this), _streams, {});
          (0, _classPrivateFieldSet2["default"])((0, _assertThisInitialized2["default"])(_this), _tracks, stream.getTracks());
          (0, _classPrivateFieldSet2["default"])((0, _assertThisInitialized2["default"])(_this), _senders, {});
          (0, _classPrivateFieldSet2["default"])((0, _assertThisInitialized2["default"])(_this), _pool, pool);
          var pruner = _classPrivateMethodGet((0, _assertThisInitialized2["default"])(_this), _prune, _prune2).bind((0, _assertThisInitialized2["default"])(_this));
          (0, _classPrivateFieldGet2["default"])((0, _assertThisInitialized2["default"])(_this), _tracks).forEach(function(track3) {
            return track3.addEventListener("ended", pruner);
          });
          var _iterator = _createForOfIteratorHelper((0, _classPrivateFieldGet2["default"])((0, _assertThisInitialized2["default"])(_this), _pool).connections), _step;
          try {
            for (_iterator.s(); !(_step = _iterator.n()).done; ) {
              var conn = _step.value;
              var cstream = new MediaStream();
              (0, _classPrivateFieldGet2["default"])((0, _assertThisInitialized2["default"])(_this), _streams)[conn.id] = cstream;
              var _iterator2 = _createForOfIteratorHelper((0, _classPrivateFieldGet2["default"])((0, _assertThisInitialized2["default"])(_this), _tracks)), _step2;
              try {
                for (_iterator2.s(); !(_step2 = _iterator2.n()).done; ) {
                  var track2 = _step2.value;
                  (0, _classPrivateFieldGet2["default"])((0, _assertThisInitialized2["default"])(_this), _senders)[track2.id] = conn.addTrack(track2, cstream);
                }
              } catch (err) {
                _iterator2.e(err);
              } finally {
                _iterator2.f();
              }
            }
          } catch (err) {
            _iterator.e(err);
          } finally {
            _iterator.f();
          }
          (0, _classPrivateFieldSet2["default"])((0, _assertThisInitialized2["default"])(_this), _bound_updater, _classPrivateMethodGet((0, _assertThisInitialized2["default"])(_this), _update_peer, _update_peer2).bind((0, _assertThisInitialized2["default"])(_this)));
          (0, _classPrivateFieldGet2["default"])((0, _assertThisInitialized2["default"])(_this), _pool).events.addEventListener("peer", (0, _classPrivateFieldGet2["default"])((0, _assertThisInitialized2["default"])(_this), _bound_updater));
          return _this;
        }
        (0, _createClass2["default"])(ManagedStream2, [{
          key: "close",
          value: (
            /**
             * Close the media stream and prevent tracks from being sent to any other peers.
             */
            function close() {
              (0, _classPrivateFieldGet2["default"])(this, _pool).events.removeEventListener("peer", (0, _classPrivateFieldGet2["default"])(this, _bound_updater));
              var _iterator3 = _createForOfIteratorHelper((0, _classPrivateFieldGet2["default"])(this, _tracks)), _step3;
              try {
                for (_iterator3.s(); !(_step3 = _iterator3.n()).done; ) {
                  var track2 = _step3.value;
                  track2.stop();
                }
              } catch (err) {
                _iterator3.e(err);
              } finally {
                _iterator3.f();
              }
              (0, _classPrivateFieldSet2["default"])(this, _tracks, []);
            }
          )
          /**
           * Mute all or some tracks in the stream.
           * 
           * If kind is null, all tracks will be muted.
           * If kind is 'video' or 'audio', only tracks
           * of the corresponding kind will be muted.
           * 
           * @param {string} kind - The kind of track to mute.
           */
        }, {
          key: "mute",
          value: function mute() {
            var kind = arguments.length > 0 && arguments[0] !== void 0 ? arguments[0] : null;
            valid_kind(kind);
            var to_mute = (0, _classPrivateFieldGet2["default"])(this, _tracks);
            if (kind) to_mute = to_mute.filter(function(track3) {
              return track3.kind === kind;
            });
            to_mute.forEach(function(track3) {
              track3.enabled = false;
            });
            var _iterator4 = _createForOfIteratorHelper((0, _classPrivateFieldGet2["default"])(this, _pool)._raw_connections), _step4;
            try {
              for (_iterator4.s(); !(_step4 = _iterator4.n()).done; ) {
                var conn = _step4.value;
                var senders = conn.getSenders();
                var _iterator5 = _createForOfIteratorHelper(to_mute), _step5;
                try {
                  for (_iterator5.s(); !(_step5 = _iterator5.n()).done; ) {
                    var track2 = _step5.value;
                    var sender = (0, _classPrivateFieldGet2["default"])(this, _senders)[track2.id];
                    if (senders.includes(sender)) {
                      conn.removeTrack(sender);
                    }
                  }
                } catch (err) {
                  _iterator5.e(err);
                } finally {
                  _iterator5.f();
                }
              }
            } catch (err) {
              _iterator4.e(err);
            } finally {
              _iterator4.f();
            }
          }
          /**
           * Unmute all or some tracks in the stream.
           * 
           * If kind is null, all tracks will be unmuted.
           * If kind is 'video' or 'audio', only tracks
           * of the corresponding kind will be unmuted.
           * 
           * @param {string} kind - The kind of track to unmute.
           */
        }, {
          key: "unmute",
          value: function unmute() {
            var _this2 = this;
            var kind = arguments.length > 0 && arguments[0] !== void 0 ? arguments[0] : null;
            valid_kind(kind);
            var to_unmute = (0, _classPrivateFieldGet2["default"])(this, _tracks);
            if (kind) to_unmute = to_unmute.filter(function(track2) {
              return track2.kind === kind;
            });
            to_unmute.forEach(function(track2) {
              track2.enabled = true;
            });
            var _iterator6 = _createForOfIteratorHelper((0, _classPrivateFieldGet2["default"])(this, _pool)._raw_connections), _step6;
            try {
              for (_iterator6.s(); !(_step6 = _iterator6.n()).done; ) {
                var conn = _step6.value;
                var trans = conn.getTransceivers();
                var _iterator7 = _createForOfIteratorHelper(to_unmute), _step7;
                try {
                  var _loop = function _loop2() {
                    var track2 = _step7.value;
                    var sender = trans.find(function(t) {
                      return t.sender === (0, _classPrivateFieldGet2["default"])(_this2, _senders)[track2.id];
                    });
                    (0, _classPrivateFieldGet2["default"])(_this2, _senders)[track2.id].replaceTrack(track2);
                    sender.direction = "sendrecv";
                  };
                  for (_iterator7.s(); !(_step7 = _iterator7.n()).done; ) {
                    _loop();
                  }
                } catch (err) {
                  _iterator7.e(err);
                } finally {
                  _iterator7.f();
                }
              }
            } catch (err) {
              _iterator6.e(err);
            } finally {
              _iterator6.f();
            }
          }
          /**
           * Checks if a subset of tracks are muted. If kind is null, this checks if all tracks are muted.
           * Otherwise, checks if all tracks of the specified kind ('video' or 'audio') are muted.
           * 
           * @param {string} kind - The kind of track to check the muted state of.
           * 
           * @return {Boolean} Whether the specified kind of track is muted (all tracks if kind is null).
           */
        }, {
          key: "muted",
          value: function muted() {
            var kind = arguments.length > 0 && arguments[0] !== void 0 ? arguments[0] : null;
            valid_kind(kind);
            var check = (0, _classPrivateFieldGet2["default"])(this, _tracks);
            if (kind) check = check.filter(function(track2) {
              return track2.kind === kind;
            });
            return check.every(function(track2) {
              return track2.enabled;
            });
          }
          /**
           * Check if this ManagedStream has a MediaStream with the specified ID.
           * 
           * @param {string} id - The ID to check for.
           * 
           * @return {Boolean} true if the stream is found, false otherwise
           */
        }, {
          key: "hasStream",
          value: function hasStream(id) {
            return Object.values((0, _classPrivateFieldGet2["default"])(this, _streams)).some(function(stream) {
              return stream.id === id;
            });
          }
          /**
           * Get the MediaStream associated with the given connection ID.
           * 
           * @param {string} conn_id - The ID of the connection to get the MediaStream for.
           * 
           * @return {MediaStream} The MediaStream associated with the specified connection.
           */
        }, {
          key: "getStream",
          value: function getStream(conn_id) {
            return (0, _classPrivateFieldGet2["default"])(this, _streams)[conn_id];
          }
          /**
           * Gets a connection by the ID of the MediaStream associated with it.
           * 
           * @param {string} stream_id - The stream to get the connection for.
           * 
           * @return {ManagedConnection} The associated connection.
           */
        }, {
          key: "getConnection",
          value: function getConnection(stream_id) {
            for (var _i = 0, _Object$entries = Object.entries((0, _classPrivateFieldGet2["default"])(this, _streams)); _i < _Object$entries.length; _i++) {
              var entry = _Object$entries[_i];
              if (entry[1].id === stream_id) {
                return (0, _classPrivateFieldGet2["default"])(this, _pool).getConnection(entry[0]);
              }
            }
            return null;
          }
          /**
           * Whether this stream is closed.
           * 
           * @type {Boolean}
           */
        }, {
          key: "closed",
          get: function get() {
            return (0, _classPrivateFieldGet2["default"])(this, _tracks).length === 0;
          }
          /**
           * List of tracks in this stream.
           * 
           * @type {array}
           */
        }, {
          key: "tracks",
          get: function get() {
            return (0, _classPrivateFieldGet2["default"])(this, _tracks).filter(function(e) {
              return true;
            });
          }
        }]);
        return ManagedStream2;
      })(/* @__PURE__ */ (0, _wrapNativeSuper2["default"])(EventTarget));
      function _prune2() {
        (0, _classPrivateFieldSet2["default"])(this, _tracks, (0, _classPrivateFieldGet2["default"])(this, _tracks).filter(function(track2) {
          return track2.readyState !== "ended";
        }));
        if (this.closed) {
          this.dispatchEvent(new CustomEvent("close", {
            target: this
          }));
        }
      }
      function _update_peer2(event) {
        var conn = event.detail.connection;
        var cstream = new MediaStream();
        (0, _classPrivateFieldGet2["default"])(this, _streams)[conn.id] = cstream;
        var _iterator8 = _createForOfIteratorHelper((0, _classPrivateFieldGet2["default"])(this, _tracks)), _step8;
        try {
          for (_iterator8.s(); !(_step8 = _iterator8.n()).done; ) {
            var track2 = _step8.value;
            (0, _classPrivateFieldGet2["default"])(this, _senders)[track2.id] = event.detail.connection.addTrack(track2, cstream);
          }
        } catch (err) {
          _iterator8.e(err);
        } finally {
          _iterator8.f();
        }
      }
      module.exports = {
        "ManagedStream": ManagedStream
      };
    }
  });

  // node_modules/rtcpool/bin/connection.js
  var require_connection = __commonJS({
    "node_modules/rtcpool/bin/connection.js"(exports, module) {
      "use strict";
      var _interopRequireDefault = require_interopRequireDefault();
      var _classCallCheck2 = _interopRequireDefault(require_classCallCheck());
      var _createClass2 = _interopRequireDefault(require_createClass());
      var _defineProperty2 = _interopRequireDefault(require_defineProperty());
      var _classPrivateFieldGet5 = _interopRequireDefault(require_classPrivateFieldGet());
      var _classPrivateFieldSet2 = _interopRequireDefault(require_classPrivateFieldSet());
      function _classPrivateFieldInitSpec(obj, privateMap, value) {
        _checkPrivateRedeclaration(obj, privateMap);
        privateMap.set(obj, value);
      }
      function _checkPrivateRedeclaration(obj, privateCollection) {
        if (privateCollection.has(obj)) {
          throw new TypeError("Cannot initialize the same private elements twice on an object");
        }
      }
      var _conn = /* @__PURE__ */ new WeakMap();
      var _id = /* @__PURE__ */ new WeakMap();
      var _descriptions = /* @__PURE__ */ new WeakMap();
      var ManagedConnection = /* @__PURE__ */ (function() {
        function ManagedConnection2(conn, id, descs) {
          (0, _classCallCheck2["default"])(this, ManagedConnection2);
          _classPrivateFieldInitSpec(this, _conn, {
            writable: true,
            value: void 0
          });
          _classPrivateFieldInitSpec(this, _id, {
            writable: true,
            value: void 0
          });
          _classPrivateFieldInitSpec(this, _descriptions, {
            writable: true,
            value: void 0
          });
          (0, _classPrivateFieldSet2["default"])(this, _conn, conn);
          (0, _classPrivateFieldSet2["default"])(this, _id, id);
          (0, _classPrivateFieldSet2["default"])(this, _descriptions, descs);
        }
        (0, _createClass2["default"])(ManagedConnection2, [{
          key: "addEventListener",
          value: function addEventListener(evt_type) {
            if (!ManagedConnection2.EVENTS.includes(evt_type)) {
              throw new Error("Event type '".concat(evt_type, "' is not handled by ManagedConnection."));
            } else {
              var _classPrivateFieldGet2;
              for (var _len = arguments.length, args = new Array(_len > 1 ? _len - 1 : 0), _key = 1; _key < _len; _key++) {
                args[_key - 1] = arguments[_key];
              }
              (_classPrivateFieldGet2 = (0, _classPrivateFieldGet5["default"])(this, _conn)).addEventListener.apply(_classPrivateFieldGet2, [evt_type].concat(args));
            }
          }
          /**
           * A proxy for removing listeners from the managed connection.
           */
        }, {
          key: "removeEventListener",
          value: function removeEventListener() {
            var _classPrivateFieldGet3;
            (_classPrivateFieldGet3 = (0, _classPrivateFieldGet5["default"])(this, _conn)).removeEventListener.apply(_classPrivateFieldGet3, arguments);
          }
          /**
           * Create a data channel with the given label and options.
           * 
           * If raw is true, the channel will be returned immediately,
           * without waiting for the channel to open.
           * 
           * If raw is false, returns a Promise that resolves to
           * the channel when the channel has opened.
           * 
           * @param {string} label - The label of the data channel.
           * @param {Object} options - The options to use to create the data channel.
           * @param {Boolean} raw - Whether to return the channel immediately or return a Promise.
           * 
           * @return {Promise<RTCDataChannel> | RTCDataChannel} A promise resolving to the created channel, or the channel itself.
           */
        }, {
          key: "dataChannel",
          value: function dataChannel(label) {
            var options = arguments.length > 1 && arguments[1] !== void 0 ? arguments[1] : {};
            var raw = arguments.length > 2 && arguments[2] !== void 0 ? arguments[2] : false;
            var channel = (0, _classPrivateFieldGet5["default"])(this, _conn).createDataChannel(label, options);
            if (raw) {
              return channel;
            } else {
              return new Promise(function(resolve) {
                channel.onopen = function() {
                  return resolve(channel);
                };
              });
            }
          }
          /**
           * A proxy for RTCPeerConnection.addTrack
           */
        }, {
          key: "addTrack",
          value: function addTrack(track2) {
            var _classPrivateFieldGet4;
            for (var _len2 = arguments.length, streams = new Array(_len2 > 1 ? _len2 - 1 : 0), _key2 = 1; _key2 < _len2; _key2++) {
              streams[_key2 - 1] = arguments[_key2];
            }
            return (_classPrivateFieldGet4 = (0, _classPrivateFieldGet5["default"])(this, _conn)).addTrack.apply(_classPrivateFieldGet4, [track2].concat(streams));
          }
          /**
           * A proxy for RTCPeerConnection.removeTrack
           */
        }, {
          key: "removeTrack",
          value: function removeTrack(sender) {
            (0, _classPrivateFieldGet5["default"])(this, _conn).removeTrack(track);
          }
          /**
           * The ID of the peer.
           */
        }, {
          key: "id",
          get: function get() {
            return (0, _classPrivateFieldGet5["default"])(this, _id);
          }
          /**
           * The description of the peer.
           * 
           * This object should not be modified, as this
           * can produce unpredictable results and goes
           * against the spirit of descriptions.
           * 
           * @type {Object}
           */
        }, {
          key: "description",
          get: function get() {
            return (0, _classPrivateFieldGet5["default"])(this, _descriptions)[(0, _classPrivateFieldGet5["default"])(this, _id)];
          }
        }]);
        return ManagedConnection2;
      })();
      (0, _defineProperty2["default"])(ManagedConnection, "EVENTS", ["datachannel", "track"]);
      module.exports = {
        "ManagedConnection": ManagedConnection
      };
    }
  });

  // node_modules/rtcpool/bin/pool.js
  var require_pool = __commonJS({
    "node_modules/rtcpool/bin/pool.js"(exports, module) {
      "use strict";
      var _interopRequireDefault = require_interopRequireDefault();
      var _regenerator = _interopRequireDefault(require_regenerator2());
      var _asyncToGenerator2 = _interopRequireDefault(require_asyncToGenerator());
      var _classCallCheck2 = _interopRequireDefault(require_classCallCheck());
      var _createClass2 = _interopRequireDefault(require_createClass());
      var _defineProperty2 = _interopRequireDefault(require_defineProperty());
      var _classPrivateFieldGet2 = _interopRequireDefault(require_classPrivateFieldGet());
      var _classPrivateFieldSet2 = _interopRequireDefault(require_classPrivateFieldSet());
      function _createForOfIteratorHelper(o, allowArrayLike) {
        var it = typeof Symbol !== "undefined" && o[Symbol.iterator] || o["@@iterator"];
        if (!it) {
          if (Array.isArray(o) || (it = _unsupportedIterableToArray(o)) || allowArrayLike && o && typeof o.length === "number") {
            if (it) o = it;
            var i = 0;
            var F = function F2() {
            };
            return { s: F, n: function n() {
              if (i >= o.length) return { done: true };
              return { done: false, value: o[i++] };
            }, e: function e(_e) {
              throw _e;
            }, f: F };
          }
          throw new TypeError("Invalid attempt to iterate non-iterable instance.\nIn order to be iterable, non-array objects must have a [Symbol.iterator]() method.");
        }
        var normalCompletion = true, didErr = false, err;
        return { s: function s() {
          it = it.call(o);
        }, n: function n() {
          var step = it.next();
          normalCompletion = step.done;
          return step;
        }, e: function e(_e2) {
          didErr = true;
          err = _e2;
        }, f: function f() {
          try {
            if (!normalCompletion && it["return"] != null) it["return"]();
          } finally {
            if (didErr) throw err;
          }
        } };
      }
      function _unsupportedIterableToArray(o, minLen) {
        if (!o) return;
        if (typeof o === "string") return _arrayLikeToArray(o, minLen);
        var n = Object.prototype.toString.call(o).slice(8, -1);
        if (n === "Object" && o.constructor) n = o.constructor.name;
        if (n === "Map" || n === "Set") return Array.from(o);
        if (n === "Arguments" || /^(?:Ui|I)nt(?:8|16|32)(?:Clamped)?Array$/.test(n)) return _arrayLikeToArray(o, minLen);
      }
      function _arrayLikeToArray(arr, len) {
        if (len == null || len > arr.length) len = arr.length;
        for (var i = 0, arr2 = new Array(len); i < len; i++) {
          arr2[i] = arr[i];
        }
        return arr2;
      }
      function _classPrivateMethodInitSpec(obj, privateSet) {
        _checkPrivateRedeclaration(obj, privateSet);
        privateSet.add(obj);
      }
      function _classPrivateFieldInitSpec(obj, privateMap, value) {
        _checkPrivateRedeclaration(obj, privateMap);
        privateMap.set(obj, value);
      }
      function _checkPrivateRedeclaration(obj, privateCollection) {
        if (privateCollection.has(obj)) {
          throw new TypeError("Cannot initialize the same private elements twice on an object");
        }
      }
      function _classPrivateMethodGet(receiver, privateSet, fn) {
        if (!privateSet.has(receiver)) {
          throw new TypeError("attempted to get private field on non-instance");
        }
        return fn;
      }
      var util = require_util();
      var media = require_media();
      var _require = require_connection();
      var ManagedConnection = _require.ManagedConnection;
      var _config = /* @__PURE__ */ new WeakMap();
      var _signals = /* @__PURE__ */ new WeakMap();
      var _connections = /* @__PURE__ */ new WeakMap();
      var _descriptions = /* @__PURE__ */ new WeakMap();
      var _id = /* @__PURE__ */ new WeakMap();
      var _joining = /* @__PURE__ */ new WeakMap();
      var _describe = /* @__PURE__ */ new WeakSet();
      var _create_pc = /* @__PURE__ */ new WeakSet();
      var _dispatch = /* @__PURE__ */ new WeakSet();
      var _get_or_create = /* @__PURE__ */ new WeakSet();
      var _retains = /* @__PURE__ */ new WeakSet();
      var _onjoin = /* @__PURE__ */ new WeakSet();
      var _onpeer = /* @__PURE__ */ new WeakSet();
      var _onclose = /* @__PURE__ */ new WeakSet();
      var _onicecandidate = /* @__PURE__ */ new WeakSet();
      var _negotiate = /* @__PURE__ */ new WeakSet();
      var _onsdp = /* @__PURE__ */ new WeakSet();
      var Pool = /* @__PURE__ */ (function() {
        function Pool2(base_config, signaller) {
          (0, _classCallCheck2["default"])(this, Pool2);
          _classPrivateMethodInitSpec(this, _onsdp);
          _classPrivateMethodInitSpec(this, _negotiate);
          _classPrivateMethodInitSpec(this, _onicecandidate);
          _classPrivateMethodInitSpec(this, _onclose);
          _classPrivateMethodInitSpec(this, _onpeer);
          _classPrivateMethodInitSpec(this, _onjoin);
          _classPrivateMethodInitSpec(this, _retains);
          _classPrivateMethodInitSpec(this, _get_or_create);
          _classPrivateMethodInitSpec(this, _dispatch);
          _classPrivateMethodInitSpec(this, _create_pc);
          _classPrivateMethodInitSpec(this, _describe);
          (0, _defineProperty2["default"])(this, "events", void 0);
          _classPrivateFieldInitSpec(this, _config, {
            writable: true,
            value: void 0
          });
          _classPrivateFieldInitSpec(this, _signals, {
            writable: true,
            value: void 0
          });
          _classPrivateFieldInitSpec(this, _connections, {
            writable: true,
            value: void 0
          });
          _classPrivateFieldInitSpec(this, _descriptions, {
            writable: true,
            value: void 0
          });
          _classPrivateFieldInitSpec(this, _id, {
            writable: true,
            value: void 0
          });
          _classPrivateFieldInitSpec(this, _joining, {
            writable: true,
            value: void 0
          });
          (0, _classPrivateFieldSet2["default"])(this, _config, base_config);
          (0, _classPrivateFieldSet2["default"])(this, _signals, util.withon(signaller, Pool2.SIGNAL_EVENTS, function(evt) {
            return evt.detail;
          }));
          (0, _classPrivateFieldSet2["default"])(this, _connections, {});
          (0, _classPrivateFieldSet2["default"])(this, _descriptions, {});
          (0, _classPrivateFieldSet2["default"])(this, _id, null);
          (0, _classPrivateFieldSet2["default"])(this, _joining, false);
          (0, _classPrivateFieldGet2["default"])(this, _signals).onpeer = _classPrivateMethodGet(this, _onpeer, _onpeer2).bind(this);
          (0, _classPrivateFieldGet2["default"])(this, _signals).onsdp = _classPrivateMethodGet(this, _onsdp, _onsdp2).bind(this);
          (0, _classPrivateFieldGet2["default"])(this, _signals).onclose = _classPrivateMethodGet(this, _onclose, _onclose2).bind(this);
          (0, _classPrivateFieldGet2["default"])(this, _signals).onicecandidate = _classPrivateMethodGet(this, _onicecandidate, _onicecandidate2).bind(this);
          (0, _classPrivateFieldGet2["default"])(this, _signals).onjoin = _classPrivateMethodGet(this, _onjoin, _onjoin2).bind(this);
          (0, _classPrivateFieldGet2["default"])(this, _signals).onstop = this.close.bind(this, "stop");
          (0, _classPrivateFieldGet2["default"])(this, _signals).ondescribe = _classPrivateMethodGet(this, _describe, _describe2).bind(this);
          this.events = util.withon(new EventTarget(), ["join", "stop", "close", "describe", "peer"]);
        }
        (0, _createClass2["default"])(Pool2, [{
          key: "join",
          value: function join(pool) {
            if ((0, _classPrivateFieldGet2["default"])(this, _id) || (0, _classPrivateFieldGet2["default"])(this, _joining)) throw new Error("Cannot join a pool: already joining or joined.");
            (0, _classPrivateFieldSet2["default"])(this, _joining, true);
            (0, _classPrivateFieldGet2["default"])(this, _signals).send("rtc:join", {
              "pool": pool
            });
          }
        }, {
          key: "close",
          value: (
            /**
             * Closes all connections, as well as the signalling channel.
             * Causes a 'close' event to be dispatched to {this.events}
             */
            function close() {
              var evt_type = arguments.length > 0 && arguments[0] !== void 0 ? arguments[0] : "close";
              for (var _i = 0, _Object$values = Object.values((0, _classPrivateFieldGet2["default"])(this, _connections)); _i < _Object$values.length; _i++) {
                var state = _Object$values[_i];
                state.raw.close();
              }
              (0, _classPrivateFieldGet2["default"])(this, _signals).close();
              (0, _classPrivateFieldSet2["default"])(this, _connections, {});
              this.events.dispatchEvent(new CustomEvent(evt_type, {
                "detail": null
              }));
            }
          )
        }, {
          key: "getConnection",
          value: (
            /**
             * Gets the RTCPeerConnection associated with the specified endpoint.
             * 
             * @param {string} id - The ID of the endpoint connection to get.
             * @return {ManagedConnection | null} The :class:`ManagedConnection` to the desired
             *         endpoint, or null if it does not exist.
             */
            function getConnection(id) {
              var state = (0, _classPrivateFieldGet2["default"])(this, _connections)[id];
              if (state) {
                return state.managed;
              } else {
                return null;
              }
            }
          )
          /**
           * The ID of this endpoint. Will be null if no pool has been joined successfully.
           * 
           * @type {string}
           */
        }, {
          key: "id",
          get: function get() {
            return (0, _classPrivateFieldGet2["default"])(this, _id);
          }
          /**
           * A list of every :class:`ManagedConnection`.
           * 
           * @type {array}
           */
        }, {
          key: "connections",
          get: function get() {
            return Object.values((0, _classPrivateFieldGet2["default"])(this, _connections)).map(function(state) {
              return state.managed;
            });
          }
        }, {
          key: "_raw_connections",
          get: function get() {
            return Object.values((0, _classPrivateFieldGet2["default"])(this, _connections)).map(function(state) {
              return state.raw;
            });
          }
          /**
           * The number of connections open.
           * 
           * @type {number}
           */
        }, {
          key: "nconnections",
          get: function get() {
            return Object.keys((0, _classPrivateFieldGet2["default"])(this, _connections)).length;
          }
        }]);
        return Pool2;
      })();
      function _describe2(data) {
        var conn_id = data.id;
        var conn = (0, _classPrivateFieldGet2["default"])(this, _connections)[conn_id].managed;
        (0, _classPrivateFieldGet2["default"])(this, _descriptions)[conn_id] = data.description;
        this.events.dispatchEvent(new CustomEvent("describe", {
          detail: {
            connection: conn,
            description: data.description
          }
        }));
      }
      function _create_pc2(id) {
        var _this = this;
        var conn = new RTCPeerConnection((0, _classPrivateFieldGet2["default"])(this, _config));
        var managed = new ManagedConnection(conn, id, (0, _classPrivateFieldGet2["default"])(this, _descriptions));
        conn.addEventListener("icecandidate", function(evt2) {
          return (0, _classPrivateFieldGet2["default"])(_this, _signals).send("rtc:candidate", {
            "from": (0, _classPrivateFieldGet2["default"])(_this, _id),
            "for": id,
            "candidate": evt2.candidate
          });
        });
        conn.addEventListener("iceconnectionstatechange", function(evt2) {
          switch (conn.iceConnectionState) {
            case "failed":
              conn.restartIce();
              break;
            case "closed":
            case "disconnected":
              if (_classPrivateMethodGet(_this, _retains, _retains2).call(_this, id)) {
                _this.events.dispatchEvent(new CustomEvent("close", {
                  "detail": managed
                }));
              }
            default:
              break;
          }
        });
        conn.addEventListener("negotiationneeded", _classPrivateMethodGet(this, _negotiate, _negotiate2).bind(this, id));
        var _iterator = _createForOfIteratorHelper(ManagedConnection.EVENTS), _step;
        try {
          for (_iterator.s(); !(_step = _iterator.n()).done; ) {
            var evt = _step.value;
            conn.addEventListener(evt, _classPrivateMethodGet(this, _dispatch, _dispatch2).bind(this, id));
          }
        } catch (err) {
          _iterator.e(err);
        } finally {
          _iterator.f();
        }
        (0, _classPrivateFieldGet2["default"])(this, _connections)[id] = {
          raw: conn,
          managed,
          polite: false,
          busy: false,
          ignore: false,
          answering: false
        };
        (0, _classPrivateFieldGet2["default"])(this, _descriptions)[id] = null;
        this.events.dispatchEvent(new CustomEvent("peer", {
          detail: {
            connection: managed
          }
        }));
        return conn;
      }
      function _dispatch2(id, evt) {
        var new_evt = new evt.constructor(evt.type, evt);
        new_evt.connection = id;
        this.events.dispatchEvent(new_evt);
      }
      function _retains2(id) {
        return Object.keys((0, _classPrivateFieldGet2["default"])(this, _connections)).includes(id);
      }
      function _onjoin2(data) {
        (0, _classPrivateFieldSet2["default"])(this, _id, data.client_id);
        (0, _classPrivateFieldSet2["default"])(this, _joining, false);
        var _iterator2 = _createForOfIteratorHelper(data.peers), _step2;
        try {
          for (_iterator2.s(); !(_step2 = _iterator2.n()).done; ) {
            var peer = _step2.value;
            var desc = (data.descriptions || {})[peer] || null;
            _classPrivateMethodGet(this, _create_pc, _create_pc2).call(this, peer);
            (0, _classPrivateFieldGet2["default"])(this, _descriptions)[peer] = desc;
            (0, _classPrivateFieldGet2["default"])(this, _connections)[peer].polite = true;
          }
        } catch (err) {
          _iterator2.e(err);
        } finally {
          _iterator2.f();
        }
        this.events.dispatchEvent(new Event("join"));
      }
      function _onpeer2(data) {
        var target = data.id;
        var conn = _classPrivateMethodGet(this, _create_pc, _create_pc2).call(this, target);
        (0, _classPrivateFieldGet2["default"])(this, _connections)[target].polite = false;
      }
      function _onclose2(close_req) {
        var conn = (0, _classPrivateFieldGet2["default"])(this, _connections)[close_req.id];
        conn.raw.close();
        this.events.dispatchEvent(new CustomEvent("close", {
          "detail": conn.managed
        }));
        delete (0, _classPrivateFieldGet2["default"])(this, _connections)[close_req.id];
        delete (0, _classPrivateFieldGet2["default"])(this, _descriptions)[close_req.id];
      }
      function _onicecandidate2(_x) {
        return _onicecandidate3.apply(this, arguments);
      }
      function _onicecandidate3() {
        _onicecandidate3 = (0, _asyncToGenerator2["default"])(/* @__PURE__ */ _regenerator["default"].mark(function _callee(data) {
          var state, conn;
          return _regenerator["default"].wrap(function _callee$(_context) {
            while (1) {
              switch (_context.prev = _context.next) {
                case 0:
                  state = (0, _classPrivateFieldGet2["default"])(this, _connections)[data.from];
                  conn = state.raw;
                  _context.prev = 2;
                  _context.next = 5;
                  return conn.addIceCandidate(data.candidate);
                case 5:
                  _context.next = 11;
                  break;
                case 7:
                  _context.prev = 7;
                  _context.t0 = _context["catch"](2);
                  if (state.ignore) {
                    _context.next = 11;
                    break;
                  }
                  throw _context.t0;
                case 11:
                case "end":
                  return _context.stop();
              }
            }
          }, _callee, this, [[2, 7]]);
        }));
        return _onicecandidate3.apply(this, arguments);
      }
      function _negotiate2(_x2) {
        return _negotiate3.apply(this, arguments);
      }
      function _negotiate3() {
        _negotiate3 = (0, _asyncToGenerator2["default"])(/* @__PURE__ */ _regenerator["default"].mark(function _callee2(id) {
          var state, conn;
          return _regenerator["default"].wrap(function _callee2$(_context2) {
            while (1) {
              switch (_context2.prev = _context2.next) {
                case 0:
                  state = (0, _classPrivateFieldGet2["default"])(this, _connections)[id];
                  conn = state.raw;
                  state.busy = true;
                  _context2.next = 5;
                  return conn.setLocalDescription();
                case 5:
                  (0, _classPrivateFieldGet2["default"])(this, _signals).send("rtc:sdp", {
                    "to": id,
                    "description": conn.localDescription
                  });
                  state.busy = false;
                case 7:
                case "end":
                  return _context2.stop();
              }
            }
          }, _callee2, this);
        }));
        return _negotiate3.apply(this, arguments);
      }
      function _onsdp2(_x3) {
        return _onsdp3.apply(this, arguments);
      }
      function _onsdp3() {
        _onsdp3 = (0, _asyncToGenerator2["default"])(/* @__PURE__ */ _regenerator["default"].mark(function _callee3(data) {
          var state, conn, desc, acceptOffer;
          return _regenerator["default"].wrap(function _callee3$(_context3) {
            while (1) {
              switch (_context3.prev = _context3.next) {
                case 0:
                  state = (0, _classPrivateFieldGet2["default"])(this, _connections)[data.peer];
                  conn = state.raw;
                  desc = data.description;
                  acceptOffer = !state.busy && (conn.signalingState === "stable" || state.answering);
                  state.ignore = !acceptOffer && desc.type === "offer";
                  if (!(state.ignore && !state.polite)) {
                    _context3.next = 7;
                    break;
                  }
                  return _context3.abrupt("return");
                case 7:
                  state.answering = desc.type === "answer";
                  _context3.next = 10;
                  return conn.setRemoteDescription(desc);
                case 10:
                  state.answering = false;
                  if (!(desc.type === "offer")) {
                    _context3.next = 15;
                    break;
                  }
                  _context3.next = 14;
                  return conn.setLocalDescription();
                case 14:
                  (0, _classPrivateFieldGet2["default"])(this, _signals).send("rtc:sdp", {
                    "to": data.peer,
                    "description": conn.localDescription
                  });
                case 15:
                case "end":
                  return _context3.stop();
              }
            }
          }, _callee3, this);
        }));
        return _onsdp3.apply(this, arguments);
      }
      (0, _defineProperty2["default"])(Pool, "SIGNAL_EVENTS", ["join", "request", "describe", "sdp", "close", "icecandidate", "stop", "peer"]);
      module.exports = {
        "Pool": Pool
      };
    }
  });

  // node_modules/rtcpool/bin/signalling.js
  var require_signalling = __commonJS({
    "node_modules/rtcpool/bin/signalling.js"(exports, module) {
      "use strict";
      var _interopRequireDefault = require_interopRequireDefault();
      var _classCallCheck2 = _interopRequireDefault(require_classCallCheck());
      var _createClass2 = _interopRequireDefault(require_createClass());
      var _inherits2 = _interopRequireDefault(require_inherits());
      var _possibleConstructorReturn2 = _interopRequireDefault(require_possibleConstructorReturn());
      var _getPrototypeOf2 = _interopRequireDefault(require_getPrototypeOf());
      var _wrapNativeSuper2 = _interopRequireDefault(require_wrapNativeSuper());
      function _createForOfIteratorHelper(o, allowArrayLike) {
        var it = typeof Symbol !== "undefined" && o[Symbol.iterator] || o["@@iterator"];
        if (!it) {
          if (Array.isArray(o) || (it = _unsupportedIterableToArray(o)) || allowArrayLike && o && typeof o.length === "number") {
            if (it) o = it;
            var i = 0;
            var F = function F2() {
            };
            return { s: F, n: function n() {
              if (i >= o.length) return { done: true };
              return { done: false, value: o[i++] };
            }, e: function e(_e) {
              throw _e;
            }, f: F };
          }
          throw new TypeError("Invalid attempt to iterate non-iterable instance.\nIn order to be iterable, non-array objects must have a [Symbol.iterator]() method.");
        }
        var normalCompletion = true, didErr = false, err;
        return { s: function s() {
          it = it.call(o);
        }, n: function n() {
          var step = it.next();
          normalCompletion = step.done;
          return step;
        }, e: function e(_e2) {
          didErr = true;
          err = _e2;
        }, f: function f() {
          try {
            if (!normalCompletion && it["return"] != null) it["return"]();
          } finally {
            if (didErr) throw err;
          }
        } };
      }
      function _unsupportedIterableToArray(o, minLen) {
        if (!o) return;
        if (typeof o === "string") return _arrayLikeToArray(o, minLen);
        var n = Object.prototype.toString.call(o).slice(8, -1);
        if (n === "Object" && o.constructor) n = o.constructor.name;
        if (n === "Map" || n === "Set") return Array.from(o);
        if (n === "Arguments" || /^(?:Ui|I)nt(?:8|16|32)(?:Clamped)?Array$/.test(n)) return _arrayLikeToArray(o, minLen);
      }
      function _arrayLikeToArray(arr, len) {
        if (len == null || len > arr.length) len = arr.length;
        for (var i = 0, arr2 = new Array(len); i < len; i++) {
          arr2[i] = arr[i];
        }
        return arr2;
      }
      function _createSuper(Derived) {
        var hasNativeReflectConstruct = _isNativeReflectConstruct();
        return function _createSuperInternal() {
          var Super = (0, _getPrototypeOf2["default"])(Derived), result;
          if (hasNativeReflectConstruct) {
            var NewTarget = (0, _getPrototypeOf2["default"])(this).constructor;
            result = Reflect.construct(Super, arguments, NewTarget);
          } else {
            result = Super.apply(this, arguments);
          }
          return (0, _possibleConstructorReturn2["default"])(this, result);
        };
      }
      function _isNativeReflectConstruct() {
        if (typeof Reflect === "undefined" || !Reflect.construct) return false;
        if (Reflect.construct.sham) return false;
        if (typeof Proxy === "function") return true;
        try {
          Boolean.prototype.valueOf.call(Reflect.construct(Boolean, [], function() {
          }));
          return true;
        } catch (e) {
          return false;
        }
      }
      var listeners = {
        "rtc:joined": "join",
        "rtc:describe": "describe",
        "rtc:peer": "peer",
        "rtc:sdp": "sdp",
        "rtc:close": "close",
        "rtc:candidate": "icecandidate",
        "rtc:stop": "stop"
      };
      var transceiver = /* @__PURE__ */ (function(_EventTarget) {
        (0, _inherits2["default"])(transceiver2, _EventTarget);
        var _super = _createSuper(transceiver2);
        function transceiver2() {
          (0, _classCallCheck2["default"])(this, transceiver2);
          return _super.call(this);
        }
        (0, _createClass2["default"])(transceiver2, [{
          key: "send",
          value: function send(msg_type, msg_data) {
            throw new Error("Not Implemented");
          }
          /**
           * Closes the transceiver.
           * 
           * @abstract
           */
        }, {
          key: "close",
          value: function close() {
            throw new Error("Not Implemented");
          }
        }]);
        return transceiver2;
      })(/* @__PURE__ */ (0, _wrapNativeSuper2["default"])(EventTarget));
      var sio_transceiver = /* @__PURE__ */ (function(_transceiver) {
        (0, _inherits2["default"])(sio_transceiver2, _transceiver);
        var _super2 = _createSuper(sio_transceiver2);
        function sio_transceiver2(sockio) {
          var _this;
          (0, _classCallCheck2["default"])(this, sio_transceiver2);
          _this = _super2.call(this);
          _this.socket = sockio;
          _this.socket.onAny(function(event, data) {
            _this.dispatchEvent(new CustomEvent(event, {
              "detail": data
            }));
          });
          return _this;
        }
        (0, _createClass2["default"])(sio_transceiver2, [{
          key: "send",
          value: function send(msg_type, data) {
            this.socket.emit(msg_type, data);
          }
        }, {
          key: "close",
          value: function close() {
            this.socket.close();
          }
        }]);
        return sio_transceiver2;
      })(transceiver);
      var websocket_transceiver = /* @__PURE__ */ (function(_transceiver2) {
        (0, _inherits2["default"])(websocket_transceiver2, _transceiver2);
        var _super3 = _createSuper(websocket_transceiver2);
        function websocket_transceiver2(websocket2) {
          var _this2;
          (0, _classCallCheck2["default"])(this, websocket_transceiver2);
          _this2 = _super3.call(this);
          _this2._buffer = [];
          _this2.socket = websocket2;
          _this2.socket.addEventListener("open", function() {
            var _iterator = _createForOfIteratorHelper(_this2._buffer), _step;
            try {
              for (_iterator.s(); !(_step = _iterator.n()).done; ) {
                var message = _step.value;
                _this2.socket.send(message);
                delete _this2._buffer;
              }
            } catch (err) {
              _iterator.e(err);
            } finally {
              _iterator.f();
            }
          });
          _this2.socket.addEventListener("message", function(evt) {
            try {
              var data = JSON.parse(evt.data);
              var evt_type = data.type;
              var evt_data = data.data;
              if (!(typeof evt_type === "string" && evt_data instanceof Object)) {
                throw new Error();
              }
              _this2.dispatchEvent(new CustomEvent(evt_type, {
                "detail": evt_data
              }));
            } catch (e) {
              _this2.dispatchEvent(new CustomEvent("error", {
                detail: {
                  "message": "Server sent invalid signalling message",
                  "data": evt.data
                }
              }));
            }
          });
          return _this2;
        }
        (0, _createClass2["default"])(websocket_transceiver2, [{
          key: "send",
          value: function send(msg_type, data) {
            var message = JSON.stringify({
              "type": msg_type,
              "data": data
            });
            if (this.socket.readyState === 0) {
              this._buffer.push(message);
            } else if (this.socket.readyState === 1) {
              this.socket.send(message);
            } else {
              throw new Error("WebSocket is CLOSED or CLOSING.");
            }
          }
        }, {
          key: "close",
          value: function close() {
            this.socket.close();
          }
        }]);
        return websocket_transceiver2;
      })(transceiver);
      var signalling = /* @__PURE__ */ (function(_EventTarget2) {
        (0, _inherits2["default"])(signalling2, _EventTarget2);
        var _super4 = _createSuper(signalling2);
        function signalling2(transceiver2) {
          var _this3;
          (0, _classCallCheck2["default"])(this, signalling2);
          _this3 = _super4.call(this);
          _this3.transceiver = transceiver2;
          for (var _i = 0, _Object$keys = Object.keys(listeners); _i < _Object$keys.length; _i++) {
            var src_event = _Object$keys[_i];
            _this3.transceiver.addEventListener(src_event, _this3._dispatch(listeners[src_event]));
          }
          return _this3;
        }
        (0, _createClass2["default"])(signalling2, [{
          key: "send",
          value: function send(msg_type, data) {
            this.transceiver.send(msg_type, data);
          }
        }, {
          key: "close",
          value: function close() {
            this.transceiver.close();
          }
        }, {
          key: "_dispatch",
          value: function _dispatch(evt_name) {
            return function(evt) {
              this.dispatchEvent(new CustomEvent(evt_name, evt));
            }.bind(this);
          }
        }]);
        return signalling2;
      })(/* @__PURE__ */ (0, _wrapNativeSuper2["default"])(EventTarget));
      var socketio = /* @__PURE__ */ (function(_signalling) {
        (0, _inherits2["default"])(socketio2, _signalling);
        var _super5 = _createSuper(socketio2);
        function socketio2(io) {
          (0, _classCallCheck2["default"])(this, socketio2);
          return _super5.call(this, new sio_transceiver(io));
        }
        return (0, _createClass2["default"])(socketio2);
      })(signalling);
      var websocket = /* @__PURE__ */ (function(_signalling2) {
        (0, _inherits2["default"])(websocket2, _signalling2);
        var _super6 = _createSuper(websocket2);
        function websocket2(socket) {
          (0, _classCallCheck2["default"])(this, websocket2);
          return _super6.call(this, new websocket_transceiver(socket));
        }
        return (0, _createClass2["default"])(websocket2);
      })(signalling);
      signalling["socket"] = {
        "io": socketio
      };
      signalling["websocket"] = websocket;
      module.exports = signalling;
    }
  });

  // node_modules/rtcpool/bin/index.js
  var require_bin = __commonJS({
    "node_modules/rtcpool/bin/index.js"(exports, module) {
      "use strict";
      var pool = require_pool();
      module.exports = {
        "pool": pool,
        "Pool": pool.Pool,
        "signalling": require_signalling(),
        "media": require_media()
      };
    }
  });

  // js/rtcpool-client.js
  window.rtcpool = require_bin();
})();
/*! Bundled license information:

@babel/runtime/helpers/regenerator.js:
  (*! regenerator-runtime -- Copyright (c) 2014-present, Facebook, Inc. -- license (MIT): https://github.com/babel/babel/blob/main/packages/babel-helpers/LICENSE *)
*/
