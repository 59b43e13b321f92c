/* NameKeys: the letter keys of namebridge, for the offline field app.
 *
 * A port of the server's name normalisation (namebridge/_normalize.py, _tokens.py), its
 * letter-rule token keys (_keys.py: reduced forms, skeletons, deletions) and the letter-only
 * similarity of namebridge/_offline.py, so that a field pack searched on a phone matches names
 * by the same keys as the server does. The learned romanisations (_model.py) are not here: the
 * offline matcher compares letters only, and namebridge._offline is its definition.
 *
 * The rules are code, the same code paths as the Python; what they look up is data, passed to
 * NameKeys.init(tables) as the object namebridge._offline.offline_tables() returns (the server
 * embeds it in the field pack), so the two sides share one copy of every table. The golden files
 * tests/namebridge/golden/offline_*.csv hold this file to the Python; a browser test runs them.
 *
 * Python indexes strings by code point and JavaScript by UTF-16 unit, so every string that is
 * indexed or measured here is first spread into an array of code points.
 *
 * Plain ES2020, no dependencies, no eval: it runs under the app's strict CSP.
 */
(() => {
  "use strict";

  const CONTROL = /^\p{Cc}$/u;
  const FORMAT = /^\p{Cf}$/u;
  const NONSPACING_MARK = /^\p{Mn}$/u;
  const DASH = /^\p{Pd}$/u;
  const LETTER = /^\p{L}$/u;
  const MODIFIER_LETTER = /^\p{Lm}$/u;
  const ALNUM = /^[\p{L}\p{N}]$/u;
  // _keys._long_a: the endings after "a" and one consonant that make it an English long a.
  const LONG_A_ENDINGS = new Set(["e", "es", "y", "ey", "ie", "ies"]);
  const CACHE_LIMIT = 50000;

  let tables = null;

  function codePoints(text) {
    return Array.from(text);
  }

  function inRuns(runs, code) {
    let low = 0;
    let high = runs.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const run = runs[middle];
      if (code < run[0]) {
        high = middle - 1;
      } else if (code > run[1]) {
        low = middle + 1;
      } else {
        return run;
      }
    }
    return null;
  }

  function readingsMap(table) {
    return new Map(Object.entries(table).map(([spelling, readings]) => [spelling, readings.slice()]));
  }

  function init(source) {
    const borrowed = new Map(Object.entries(source.borrowed));
    const groupsOf = new Map();
    for (const [group, names] of Object.entries(source.given_name_groups)) {
      for (const name of names) {
        if (!groupsOf.has(name)) {
          groupsOf.set(name, new Set());
        }
        groupsOf.get(name).add(group);
      }
    }
    const latinSequences = readingsMap(source.latin_sequences);
    tables = {
      letterScripts: source.letter_scripts.map((run) => run.slice()).sort((a, b) => a[0] - b[0]),
      digits: source.digits.map((run) => run.slice()).sort((a, b) => a[0] - b[0]),
      casefold: new Map(Object.entries(source.casefold)),
      whitespace: new Set(codePoints(source.whitespace)),
      ignorable: source.ignorable_ranges.map((run) => run.slice()).sort((a, b) => a[0] - b[0]),
      separating: new Set(codePoints(source.separating_controls)),
      apostrophes: new Set(codePoints(source.apostrophes)),
      foldLetters: new Map(Object.entries(source.fold_letters)),
      cyrillicMarks: new Set(codePoints(source.cyrillic_letter_marks)),
      borrowed,
      markerOf: new Map([...borrowed].map(([marker, written]) => [codePoints(written)[0], marker])),
      geresh: new RegExp(source.geresh_pattern, "gu"),
      finalForms: new Map(Object.entries(source.final_forms)),
      maxVariants: source.max_variants,
      vowelClasses: new Set(codePoints(source.vowel_classes)),
      mergedClasses: new Map(Object.entries(source.merged_classes)),
      latinVowels: new Set(codePoints(source.latin_vowels)),
      initialVowels: new Set(codePoints(source.initial_vowels)),
      notAConsonantAfterA: new Set(codePoints(source.not_a_consonant_after_a)),
      latinSequences,
      latinLongest: Math.max(...[...latinSequences.keys()].map((spelling) => codePoints(spelling).length)),
      latinLetters: readingsMap(source.latin_letters),
      hebrewSequences: readingsMap(source.hebrew_sequences),
      hebrewLetters: readingsMap(source.hebrew_letters),
      cyrillicLetters: readingsMap(source.cyrillic_letters),
      variantPenalty: source.variant_penalty,
      equivalentGiven: source.equivalent_given,
      initialMatch: source.initial_match,
      initialsMatch: source.initials_match,
      unmatchedWeight: source.unmatched_weight,
      crossedOrder: source.crossed_order,
      groupsOf,
      keysCache: new Map(),
    };
  }

  function loaded() {
    if (tables === null) {
      throw new Error("NameKeys.init(tables) must be called first");
    }
    return tables;
  }

  // --- Unicode facts the Python takes from unicodedata -------------------------------------

  function isAlpha(char) {
    return LETTER.test(char);
  }

  function isDigit(char) {
    return inRuns(loaded().digits, char.codePointAt(0)) !== null;
  }

  function letterScript(char) {
    const run = inRuns(loaded().letterScripts, char.codePointAt(0));
    return run === null ? "other" : run[2];
  }

  function isSpace(char) {
    return loaded().whitespace.has(char);
  }

  function collapseWhitespace(text) {
    const words = [];
    let current = "";
    for (const char of text) {
      if (isSpace(char)) {
        if (current) {
          words.push(current);
        }
        current = "";
      } else {
        current += char;
      }
    }
    if (current) {
      words.push(current);
    }
    return words.join(" ");
  }

  function stripSpace(text) {
    const chars = codePoints(text);
    let start = 0;
    let end = chars.length;
    while (start < end && isSpace(chars[start])) {
      start += 1;
    }
    while (end > start && isSpace(chars[end - 1])) {
      end -= 1;
    }
    return chars.slice(start, end).join("");
  }

  function casefold(text) {
    const exceptions = loaded().casefold;
    let out = "";
    // Per character, so that toLowerCase's final-sigma rule (which casefold does not have)
    // never sees a neighbour.
    for (const char of text) {
      const folded = exceptions.get(char);
      out += folded === undefined ? char.toLowerCase() : folded;
    }
    return out;
  }

  // --- _normalize ---------------------------------------------------------------------------

  function stripInvisible(text) {
    const { separating, ignorable } = loaded();
    let out = "";
    for (const char of text) {
      const code = char.codePointAt(0);
      if (CONTROL.test(char)) {
        if (separating.has(char)) {
          out += " ";
        }
        continue;
      }
      const surrogate = code >= 0xd800 && code <= 0xdfff;
      if (surrogate || FORMAT.test(char) || inRuns(ignorable, code) !== null) {
        continue;
      }
      out += char;
    }
    return out;
  }

  function removeApostrophes(text) {
    const { apostrophes } = loaded();
    let out = "";
    for (const char of text) {
      if (!apostrophes.has(char)) {
        out += char;
      }
    }
    return out;
  }

  function translateFoldLetters(text) {
    const { foldLetters } = loaded();
    let out = "";
    for (const char of text) {
      const folded = foldLetters.get(char);
      out += folded === undefined ? char : folded;
    }
    return out;
  }

  function stripMarks(decomposed) {
    const { cyrillicMarks } = loaded();
    let out = "";
    let baseScript = null;
    for (const char of decomposed) {
      if (!NONSPACING_MARK.test(char)) {
        out += char;
        baseScript = isAlpha(char) ? letterScript(char) : null;
        continue;
      }
      if (baseScript === "other" || (baseScript === "cyrillic" && cyrillicMarks.has(char))) {
        out += char;
      }
    }
    return out;
  }

  function fold(text) {
    let folded = removeApostrophes(stripInvisible(text));
    folded = casefold(folded.normalize("NFKC")).normalize("NFKC");
    folded = translateFoldLetters(folded);
    folded = stripMarks(folded.normalize("NFD"));
    folded = translateFoldLetters(folded.normalize("NFC"));
    folded = removeApostrophes(folded);
    let spaced = "";
    for (const char of folded) {
      spaced += DASH.test(char) ? " " : char;
    }
    return collapseWhitespace(spaced);
  }

  function detectScript(text) {
    const scripts = new Set();
    for (const char of text) {
      if (LETTER.test(char) && !MODIFIER_LETTER.test(char)) {
        scripts.add(letterScript(char));
      }
    }
    if (scripts.size === 0) {
      return "empty";
    }
    if (scripts.size > 1) {
      return "mixed";
    }
    return scripts.values().next().value;
  }

  // --- _tokens ------------------------------------------------------------------------------

  function markBorrowed(text) {
    const { geresh, markerOf } = loaded();
    geresh.lastIndex = 0;
    return text.replace(geresh, (_match, letter) => markerOf.get(letter));
  }

  function reorderCatalogue(text) {
    const parts = text
      .split(",")
      .map(stripSpace)
      .filter((part) => part);
    if (parts.length === 2) {
      return `${parts[1]} ${parts[0]}`;
    }
    return parts.join(" ");
  }

  function splitTokens(text) {
    const { borrowed } = loaded();
    const folded = fold(reorderCatalogue(markBorrowed(stripInvisible(text))));
    const tokens = [];
    let current = "";
    for (const char of folded) {
      if (ALNUM.test(char) || borrowed.has(char)) {
        current += char;
      } else if (current) {
        tokens.push(current);
        current = "";
      }
    }
    if (current) {
      tokens.push(current);
    }
    return tokens;
  }

  function renderToken(token) {
    const { finalForms, borrowed } = loaded();
    const chars = codePoints(token);
    const last = chars.length - 1;
    if (chars.length > 1 && finalForms.has(chars[last])) {
      chars[last] = finalForms.get(chars[last]);
    }
    return chars.map((char) => (borrowed.has(char) ? borrowed.get(char) : char)).join("");
  }

  function normalizeName(text) {
    return splitTokens(text).map(renderToken).join(" ");
  }

  // --- _keys: readings ----------------------------------------------------------------------

  function longA(word, index) {
    const rest = word.slice(index + 1);
    return (
      rest.length >= 2 && !loaded().notAConsonantAfterA.has(rest[0]) && LONG_A_ENDINGS.has(rest.slice(1).join(""))
    );
  }

  function latinReadings(word) {
    const { latinSequences, latinLetters, latinLongest, latinVowels } = loaded();
    const readings = [];
    const length = word.length;
    let index = 0;
    while (index < length) {
      let matched = false;
      for (let size = Math.min(latinLongest, length - index); size > 1; size -= 1) {
        const options = latinSequences.get(word.slice(index, index + size).join(""));
        if (options !== undefined) {
          readings.push(options);
          index += size;
          matched = true;
          break;
        }
      }
      if (matched) {
        continue;
      }
      const char = word[index];
      const after = index + 1 < length ? word[index + 1] : "";
      const before = index ? word[index - 1] : "";
      const frontVowelAfter = after === "e" || after === "i" || after === "y";
      let options;
      if (char === "c") {
        options = frontVowelAfter ? ["S", "C"] : latinVowels.has(after) ? ["K"] : ["K", "C"];
      } else if (char === "g") {
        options = frontVowelAfter ? ["G", "J"] : ["G"];
      } else if (char === "s") {
        options = latinVowels.has(before) && latinVowels.has(after) ? ["S", "Z"] : ["S"];
      } else if (char === "h") {
        // silent after a vowel at the end (Sarah, Noah), or a breath Hebrew may write with ה
        options = !after && latinVowels.has(before) ? ["", "K"] : ["K", ""];
      } else if (char === "a" && longA(word, index)) {
        options = word[length - 1] === "e" ? ["I", ""] : ["", "I"];
      } else if (char === "y" && latinVowels.has(after)) {
        options = ["I"];
      } else if (isDigit(char)) {
        options = [char];
      } else {
        const known = latinLetters.get(char);
        options = known !== undefined ? known : isAlpha(char) ? [""] : [char];
      }
      readings.push(options);
      index += 1;
    }
    return readings;
  }

  function hebrewReadings(word) {
    const { hebrewSequences, hebrewLetters } = loaded();
    const readings = [];
    const length = word.length;
    let index = 0;
    while (index < length) {
      let matched = false;
      for (const size of [3, 2]) {
        const chunk = index + size <= length ? word.slice(index, index + size).join("") : null;
        const options = chunk === null ? undefined : hebrewSequences.get(chunk);
        if (options !== undefined) {
          readings.push(options);
          index += size;
          matched = true;
          break;
        }
      }
      if (matched) {
        continue;
      }
      const char = word[index];
      let options;
      if (char === "ה" && index === 0) {
        options = ["K"]; // also alone: the initial ה. is H.
      } else if (char === "ה" && index === length - 1) {
        options = [""]; // final ה is a vowel (Sarah, Moshe)
      } else if (char === "ו" && index === 0) {
        options = ["B", "U"];
      } else if (char === "כ" && index === 0) {
        options = ["K"];
      } else {
        const known = hebrewLetters.get(char);
        options = known !== undefined ? known : isDigit(char) ? [char] : [""];
      }
      readings.push(options);
      index += 1;
    }
    return readings;
  }

  function cyrillicReadings(word) {
    const { cyrillicLetters } = loaded();
    const readings = [];
    const length = word.length;
    let index = 0;
    while (index < length) {
      const pair = index + 1 < length ? word[index] + word[index + 1] : "";
      if (pair === "дж") {
        readings.push(["J"]);
        index += 2;
        continue;
      }
      if (pair === "тс" || pair === "тш") {
        readings.push(["TS", "C"]);
        index += 2;
        continue;
      }
      if (pair === "дз") {
        readings.push(["DZ", "J"]);
        index += 2;
        continue;
      }
      if (pair === "кс") {
        readings.push(["KS"]);
        index += 2;
        continue;
      }
      const char = word[index];
      const known = cyrillicLetters.get(char);
      readings.push(known !== undefined ? known : isDigit(char) ? [char] : [""]);
      index += 1;
    }
    return readings;
  }

  // --- _keys: variants ----------------------------------------------------------------------

  function collapse(classes) {
    let out = "";
    let last = null;
    for (const char of classes) {
      if (char !== last) {
        out += char;
        last = char;
      }
    }
    return out;
  }

  function mergeClasses(classes) {
    const { mergedClasses } = loaded();
    let out = "";
    for (const char of classes) {
      const merged = mergedClasses.get(char);
      out += merged === undefined ? char : merged;
    }
    return out;
  }

  // itertools.combinations: the same subsets in the same (lexicographic) order.
  function* combinations(items, size) {
    const chosen = [];
    function* from(start) {
      if (chosen.length === size) {
        yield chosen.slice();
        return;
      }
      for (let index = start; index <= items.length - (size - chosen.length); index += 1) {
        chosen.push(items[index]);
        yield* from(index + 1);
        chosen.pop();
      }
    }
    yield* from(0);
  }

  // itertools.product: the last position varies fastest.
  function* product(choices) {
    const picked = new Array(choices.length);
    function* at(position) {
      if (position === choices.length) {
        yield picked.slice();
        return;
      }
      for (const option of choices[position]) {
        picked[position] = option;
        yield* at(position + 1);
      }
    }
    yield* at(0);
  }

  function expand(readings, limit) {
    const variants = [];
    const seen = new Set();
    const ambiguous = [];
    readings.forEach((options, position) => {
      if (options.length > 1) {
        ambiguous.push(position);
      }
    });
    for (let depth = 0; depth <= ambiguous.length; depth += 1) {
      for (const positions of combinations(ambiguous, depth)) {
        const deviating = new Set(positions);
        const choices = readings.map((options, position) =>
          deviating.has(position) ? options.slice(1) : options.slice(0, 1),
        );
        for (const combination of product(choices)) {
          const variant = collapse(mergeClasses(combination.join("")));
          if (!seen.has(variant)) {
            seen.add(variant);
            variants.push(variant);
            if (variants.length >= limit) {
              return variants;
            }
          }
        }
        if (depth >= 3) {
          return variants;
        }
      }
    }
    return variants;
  }

  function skeleton(reduced) {
    const { vowelClasses } = loaded();
    let consonants = "";
    for (const char of reduced) {
      if (!vowelClasses.has(char)) {
        consonants += char;
      }
    }
    return collapse(consonants);
  }

  function deletions(key) {
    const chars = codePoints(key);
    if (chars.length < 3) {
      return [];
    }
    const out = new Set();
    for (let index = 0; index < chars.length; index += 1) {
      out.add(chars.slice(0, index).join("") + chars.slice(index + 1).join(""));
    }
    return [...out];
  }

  function tokenScript(token) {
    const { borrowed } = loaded();
    let asHebrew = "";
    for (const char of token) {
      asHebrew += borrowed.has(char) ? "ג" : char;
    }
    return detectScript(asHebrew);
  }

  const READINGS_OF = new Map([
    ["hebrew", hebrewReadings],
    ["cyrillic", cyrillicReadings],
    ["latin", latinReadings],
  ]);

  function tokenKeys(token) {
    const state = loaded();
    const cached = state.keysCache.get(token);
    if (cached !== undefined) {
      return cached;
    }
    const script = tokenScript(token);
    const word = codePoints(token);
    let keys;
    const readingsOf = READINGS_OF.get(script);
    if (readingsOf !== undefined) {
      const expanded = expand(readingsOf(word), state.maxVariants);
      const reduced = expanded.length ? expanded : [""];
      keys = { token, script, reduced, skeletons: [...new Set(reduced.map(skeleton))] };
    } else {
      // Digits and scripts we do not know: the token is its own key.
      keys = { token, script, reduced: [token], skeletons: [token] };
    }
    if (state.keysCache.size >= CACHE_LIMIT) {
      state.keysCache.clear();
    }
    state.keysCache.set(token, keys);
    return keys;
  }

  function tokenReduced(token) {
    return tokenKeys(token).reduced.slice();
  }

  function tokenSkeletons(token) {
    return tokenKeys(token).skeletons.slice();
  }

  // --- _offline: similarity -----------------------------------------------------------------

  function indelSimilarity(a, b) {
    const left = codePoints(a);
    const right = codePoints(b);
    const total = left.length + right.length;
    if (!total) {
      return 1.0;
    }
    let previous = new Array(right.length + 1).fill(0);
    for (const charA of left) {
      const current = [0];
      for (let j = 0; j < right.length; j += 1) {
        current.push(charA === right[j] ? previous[j] + 1 : Math.max(previous[j + 1], current[j]));
      }
      previous = current;
    }
    const distance = total - 2 * previous[right.length];
    return 1.0 - distance / total;
  }

  function bestReduced(left, right) {
    const { variantPenalty } = loaded();
    let best = 0.0;
    left.forEach((x, i) => {
      right.forEach((y, j) => {
        const value = indelSimilarity(x, y) - variantPenalty * (i + j);
        if (value > best) {
          best = value;
        }
      });
    });
    return best;
  }

  function isInitial(keys) {
    const chars = codePoints(keys.token);
    return chars.length === 1 && (isAlpha(keys.token) || loaded().borrowed.has(keys.token));
  }

  function firstClass(keys) {
    const classes = new Set();
    for (const variant of [...keys.skeletons, ...keys.reduced]) {
      if (variant) {
        classes.add(codePoints(variant)[0]);
      }
    }
    return classes;
  }

  function initialClasses(keys) {
    if (keys.script !== "latin" || loaded().initialVowels.has(keys.token)) {
      return firstClass(keys);
    }
    return new Set([...firstClass(tokenKeys(`${keys.token}e`)), ...firstClass(tokenKeys(`${keys.token}o`))]);
  }

  function meet(a, b) {
    for (const item of a) {
      if (b.has(item)) {
        return true;
      }
    }
    return false;
  }

  function sharedGroup(a, b) {
    const { groupsOf } = loaded();
    const groupsA = groupsOf.get(a);
    const groupsB = groupsOf.get(b);
    return groupsA !== undefined && groupsB !== undefined && meet(groupsA, groupsB);
  }

  function offlineTokenSimilarity(a, b) {
    const state = loaded();
    if (a === b) {
      return 1.0;
    }
    const ka = tokenKeys(a);
    const kb = tokenKeys(b);
    if (isInitial(ka) || isInitial(kb)) {
      if (isInitial(ka) && isInitial(kb)) {
        const classesA = initialClasses(ka);
        const classesB = initialClasses(kb);
        if (meet(classesA, classesB) || (classesA.size === 0 && classesB.size === 0)) {
          return state.initialsMatch;
        }
        return 0.0;
      }
      return meet(firstClass(ka), firstClass(kb)) ? state.initialMatch : 0.0;
    }
    const value = bestReduced(ka.reduced, kb.reduced);
    if (value < state.equivalentGiven && sharedGroup(a, b)) {
      return state.equivalentGiven;
    }
    return Math.max(0.0, Math.min(1.0, value));
  }

  // itertools.permutations(range(count), size): the same arrangements in the same order.
  function* permutations(count, size) {
    const picked = [];
    const used = new Array(count).fill(false);
    function* next() {
      if (picked.length === size) {
        yield picked.slice();
        return;
      }
      for (let index = 0; index < count; index += 1) {
        if (!used[index]) {
          used[index] = true;
          picked.push(index);
          yield* next();
          picked.pop();
          used[index] = false;
        }
      }
    }
    yield* next();
  }

  // _score.assign: exhaustive up to 6 columns, greedy above, ties broken as there.
  function assign(matrix) {
    const rows = matrix.length;
    const cols = rows ? matrix[0].length : 0;
    if (!rows || !cols) {
      return [];
    }
    if (rows > cols) {
      const transposed = [];
      for (let c = 0; c < cols; c += 1) {
        transposed.push(matrix.map((row) => row[c]));
      }
      return assign(transposed).map(([c, r]) => [r, c]);
    }
    if (cols <= 6) {
      let bestTotal = -1.0;
      let bestPerm = [];
      for (const perm of permutations(cols, rows)) {
        let total = 0;
        perm.forEach((c, r) => {
          total += matrix[r][c];
        });
        if (total > bestTotal) {
          bestTotal = total;
          bestPerm = perm;
        }
      }
      return bestPerm.map((c, r) => [r, c]).filter(([r, c]) => matrix[r][c] > 0);
    }
    const cells = [];
    for (let r = 0; r < rows; r += 1) {
      for (let c = 0; c < cols; c += 1) {
        cells.push([matrix[r][c], r, c]);
      }
    }
    // sorted(..., reverse=True) on (value, row, column) tuples
    cells.sort((x, y) => y[0] - x[0] || y[1] - x[1] || y[2] - x[2]);
    const usedRows = new Set();
    const usedCols = new Set();
    const pairs = [];
    for (const [value, r, c] of cells) {
      if (value <= 0 || usedRows.has(r) || usedCols.has(c)) {
        continue;
      }
      usedRows.add(r);
      usedCols.add(c);
      pairs.push([r, c]);
    }
    return pairs;
  }

  function crossed(pairs) {
    const ordered = pairs.slice().sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    for (let index = 1; index < ordered.length; index += 1) {
      if (ordered[index][1] < ordered[index - 1][1]) {
        return true;
      }
    }
    return false;
  }

  // Python's order of strings (by code point, not by UTF-16 unit) and of lists of them.
  function compareStrings(a, b) {
    const x = codePoints(a);
    const y = codePoints(b);
    for (let index = 0; index < Math.min(x.length, y.length); index += 1) {
      const difference = x[index].codePointAt(0) - y[index].codePointAt(0);
      if (difference) {
        return difference;
      }
    }
    return x.length - y.length;
  }

  function compareTokenLists(a, b) {
    for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
      const difference = compareStrings(a[index], b[index]);
      if (difference) {
        return difference;
      }
    }
    return a.length - b.length;
  }

  function offlineTokensSimilarity(leftTokens, rightTokens) {
    const state = loaded();
    // A fixed order of the sides, as namebridge._offline has: tied assignments could otherwise
    // be crossed one way round and not the other.
    const [left, right] =
      compareTokenLists(leftTokens, rightTokens) <= 0 ? [leftTokens, rightTokens] : [rightTokens, leftTokens];
    if (!left.length || !right.length) {
      return 0.0;
    }
    const matrix = left.map((a) => right.map((b) => offlineTokenSimilarity(a, b)));
    const pairs = assign(matrix);
    let total = 0;
    for (const [r, c] of pairs) {
      total += matrix[r][c];
    }
    const small = Math.min(left.length, right.length);
    const large = Math.max(left.length, right.length);
    const denominator = small + state.unmatchedWeight * (large - small);
    if (crossed(pairs)) {
      total *= state.crossedOrder;
    }
    return (100.0 * total) / denominator;
  }

  function offlineNameSimilarity(queryText, candidateText) {
    return offlineTokensSimilarity(splitTokens(queryText), splitTokens(candidateText));
  }

  globalThis.NameKeys = Object.freeze({
    init,
    stripInvisible,
    fold,
    detectScript,
    splitTokens,
    renderToken,
    normalizeName,
    tokenScript,
    tokenReduced,
    tokenSkeletons,
    deletions,
    indelSimilarity,
    offlineTokenSimilarity,
    offlineTokensSimilarity,
    offlineNameSimilarity,
  });
})();
