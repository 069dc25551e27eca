package tools

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/secoda-workbench/secoda-workbench/internal/table"
	"github.com/secoda-workbench/secoda-workbench/pipeline/dest"
)

// Limits of search_catalog.
const (
	DefaultSearchLimit = 10
	MaxSearchLimit     = 50
	maxQueryBytes      = 200
	maxQueryWords      = 8
	// typoCandidates bounds the resources the typo pass ranks in Go: the shortest
	// titles among those within one edit.
	typoCandidates = 200
	// minTypoWord is the shortest word a typo is forgiven in: shorter ones would match
	// nearly everything.
	minTypoWord = 4
	// labelsPerResource bounds the owners and tags listed with a result.
	labelsPerResource = 10
)

// The tiers of a match, best first: a result's score.
const (
	scoreExact      = 100 // the title, the full title or the id is the query
	scorePrefix     = 80  // the title starts with the query
	scoreTitle      = 70  // the title contains the query as written
	scoreFull       = 60  // the full title contains it
	scoreTitleWords = 55  // every word is in the title, in any order
	scoreAllWords   = 50  // every word is in the title or full title, in any order
	scoreTypo       = 40  // every word is there within one edit (words of 4 letters or more)
	scoreBody       = 30  // every word is somewhere in the title, full title, description or definition
)

var matchNames = map[int]string{scoreExact: "exact", scorePrefix: "prefix", scoreTitle: "title contains", scoreFull: "full title contains",
	scoreTitleWords: "all words in title", scoreAllWords: "all words", scoreTypo: "one typo", scoreBody: "description or definition"}

// SearchCatalogIn is search_catalog's input.
type SearchCatalogIn struct {
	Query       string `json:"query" jsonschema:"what to find: a name, a prefix, a path (prod.public.orders) or words in any order; one typo per word of 4 letters or more is forgiven (describe_resource takes ids)"`
	EntityType  string `json:"entity_type,omitempty" jsonschema:"only resources of this entity type (table, column, dashboard, chart, glossary, ...)"`
	Integration string `json:"integration,omitempty" jsonschema:"only resources of this integration: its id, or its name or type when the integration table is loaded"`
	Limit       int    `json:"limit,omitempty" jsonschema:"the most results (default 10, at most 50)"`
}

// SearchHit is one resource found.
type SearchHit struct {
	ResourceRef
	Integration string   `json:"integration,omitempty" jsonschema:"its integration's name (or id when the integration table is not loaded)"`
	Owners      []string `json:"owners" jsonschema:"owners' names (ids when the user table is not loaded), at most 10"`
	Tags        []string `json:"tags" jsonschema:"tags' names (ids when the tag table is not loaded), at most 10"`
	Match       string   `json:"match" jsonschema:"how it matched: exact, prefix, title contains, full title contains, all words in title, all words, one typo, description or definition"`
	Score       int      `json:"score" jsonschema:"the match's tier: 100 exact, 80 prefix, 70 title contains, 60 full title contains, 55 all words in title, 50 all words in title or full title, 40 one typo, 30 description or definition"`
}

// SearchCatalogOut is search_catalog's result.
type SearchCatalogOut struct {
	Query     string      `json:"query"`
	Results   []SearchHit `json:"results" jsonschema:"best first: by tier, then the shorter title, then the more used"`
	Count     int         `json:"count"`
	Truncated bool        `json:"truncated" jsonschema:"more resources match than the limit"`
	Next      string      `json:"next"`
}

// SearchCatalog finds resources of the loaded catalog by name, ranked.
func SearchCatalog(d *Deps) Tool {
	h := Hints{ReadOnly: yes(), Destructive: no(), Idempotent: yes(), OpenWorld: no()}
	return Tool{
		Hints: h,
		Def: define[SearchCatalogIn, SearchCatalogOut]("search_catalog",
			"Find resources in the loaded catalog (resource_catalog) by name, offline. Ranked by tier: exact title or full title; "+
				"title prefix; title contains the query; full title contains it; every word in the title, then in the title or full title, "+
				"in any order (\"orders customer\" finds customer_orders). When no name matches: every word within one typo (one edit "+
				"per word of 4 letters or more: \"custmer\"); when still none: every word in the description or definition. Within a "+
				"tier, shorter names, then more used, come first. "+
				"Each result has its id, entity type, path, owners and tags: pass the id to describe_resource or get_lineage. "+
				"The first search after a load builds a search index of the catalog in the work folder (for a million resources "+
				"about 6 s from DuckDB or Parquet files, 27 s from PostgreSQL); the searches after it read the index.", h),
		Handler: handle(func(ctx context.Context, _ mcp.CallToolRequest, in SearchCatalogIn) (SearchCatalogOut, string, error) {
			limit := in.Limit
			switch {
			case limit == 0:
				limit = DefaultSearchLimit
			case limit < 0 || limit > MaxSearchLimit:
				return SearchCatalogOut{}, "", fmt.Errorf("limit %d: give 1 to %d", limit, MaxSearchLimit)
			}
			q, err := parseSearch(in.Query)
			if err != nil {
				return SearchCatalogOut{}, "", err
			}
			c, err := d.searchCatalog(ctx)
			if err != nil {
				return SearchCatalogOut{}, "", err
			}
			defer c.done()
			filter, integrations, err := c.searchFilter(ctx, in)
			if err != nil {
				return SearchCatalogOut{}, "", err
			}
			hits, more, err := c.search(ctx, q, filter, limit)
			if err != nil {
				return SearchCatalogOut{}, "", err
			}
			if len(hits) == 0 && in.EntityType != "" {
				if err := c.checkEntityType(ctx, in.EntityType); err != nil {
					return SearchCatalogOut{}, "", err
				}
			}
			results, err := c.describeHits(ctx, hits, integrations)
			if err != nil {
				return SearchCatalogOut{}, "", err
			}
			out := SearchCatalogOut{Query: in.Query, Results: results, Count: len(results), Truncated: more}
			switch {
			case len(hits) == 0:
				out.Next = "nothing matched: try fewer words, a shorter prefix, or no filters; query_dataset searches resource_catalog with SQL."
			case more:
				out.Next = fmt.Sprintf("more match: raise limit (at most %d), add words, or filter by entity_type or integration; describe_resource or get_lineage with a result's id.", MaxSearchLimit)
			default:
				out.Next = "describe_resource or get_lineage with a result's id."
			}
			return out, searchText(out), nil
		}),
	}
}

// searchQuery is a query as the SQL matches it: lowercased, and its words.
type searchQuery struct {
	raw, low string
	words    []string
}

func parseSearch(s string) (searchQuery, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxQueryBytes {
		return searchQuery{}, fmt.Errorf("query is %d bytes; give at most %d: a name or a few words", len(s), maxQueryBytes)
	}
	q := searchQuery{raw: s, low: strings.ToLower(s)}
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(q.low, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if !seen[w] {
			seen[w] = true
			q.words = append(q.words, w)
		}
	}
	switch {
	case len(q.words) == 0:
		return searchQuery{}, fmt.Errorf("query %s has no letters or digits: give a name or words to find (list_tables and query_dataset browse everything)", shown(s))
	case len(q.words) > maxQueryWords:
		return searchQuery{}, fmt.Errorf("query has %d words; give at most %d", len(q.words), maxQueryWords)
	}
	return q, nil
}

// searchFilter is the SQL condition of the entity_type and integration arguments, and
// the integrations' names by id where the integration table is loaded.
func (c *catalogData) searchFilter(ctx context.Context, in SearchCatalogIn) (string, map[string]string, error) {
	var conds []string
	if in.EntityType != "" {
		conds = append(conds, "lower(r.entity_type) = "+sqlLiteral(strings.ToLower(strings.TrimSpace(in.EntityType))))
	}
	named, err := c.integrationNames(ctx)
	if err != nil {
		return "", nil, err
	}
	if in.Integration != "" {
		if !c.hasCol(catalogTable, "integration") {
			return "", nil, fmt.Errorf("no resource in resource_catalog has an integration: search without the integration filter")
		}
		ids, err := matchIntegration(in.Integration, named, c.has(integrationTable))
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, inList("r.integration", ids))
	}
	if len(conds) == 0 {
		return "TRUE", named.names, nil
	}
	return strings.Join(conds, " AND "), named.names, nil
}

// integrations are the loaded integrations: names and types by id.
type integrations struct {
	ids          []string
	names, types map[string]string
}

func (c *catalogData) integrationNames(ctx context.Context) (integrations, error) {
	out := integrations{names: map[string]string{}, types: map[string]string{}}
	if !c.hasCol(integrationTable, "id") {
		return out, nil
	}
	res, err := c.query(ctx, "SELECT id, "+c.col(integrationTable, "i", "name", "VARCHAR")+", "+c.col(integrationTable, "i", "type", "VARCHAR")+
		" FROM integration i ORDER BY 2, 1", 1000)
	if err != nil {
		return out, err
	}
	for _, r := range res.Rows {
		id := asString(r[0])
		out.ids = append(out.ids, id)
		out.names[id], out.types[id] = asString(r[1]), asString(r[2])
	}
	return out, nil
}

// matchIntegration is the ids an integration argument names: its id, or the
// integrations of that name or type.
func matchIntegration(arg string, in integrations, loaded bool) ([]string, error) {
	arg = strings.TrimSpace(arg)
	if !loaded {
		return []string{arg}, nil
	}
	var ids []string
	for _, id := range in.ids {
		if id == arg || strings.EqualFold(in.names[id], arg) || strings.EqualFold(in.types[id], arg) {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		return ids, nil
	}
	var known []string
	for _, id := range in.ids {
		known = append(known, fmt.Sprintf("%s (%s, %s)", in.names[id], in.types[id], id))
	}
	if len(known) > maxCandidates {
		known = append(known[:maxCandidates], "…")
	}
	return nil, fmt.Errorf("integration %s is none of the loaded integrations' id, name or type: give one of %s", shown(arg), strings.Join(known, "; "))
}

// checkEntityType says which entity types exist when the asked one has no resource.
func (c *catalogData) checkEntityType(ctx context.Context, et string) error {
	res, err := c.query(ctx, "SELECT DISTINCT entity_type FROM resource_catalog WHERE lower(entity_type) = "+sqlLiteral(strings.ToLower(strings.TrimSpace(et))), 1)
	if err != nil || len(res.Rows) > 0 {
		return err
	}
	res, err = c.query(ctx, "SELECT entity_type FROM resource_catalog WHERE entity_type IS NOT NULL GROUP BY entity_type ORDER BY count(*) DESC", 50)
	if err != nil {
		return err
	}
	var types []string
	for _, r := range res.Rows {
		types = append(types, asString(r[0]))
	}
	return fmt.Errorf("entity_type %s: the catalog has no resource of that type; give one of %s, or none", shown(et), strings.Join(types, ", "))
}

// search runs the ranking in up to three passes, each a fallback for the one before:
// the name tiers (exact, prefix, contains, all words) in SQL; when none matches, the
// typo tier, whose candidates SQL finds by a regular expression of each word's
// one-edit variants and Go orders by edit distance; when neither matches, the
// descriptions and definitions in SQL. A search is mostly for a name: the regular
// expressions, and lowering every description, would cost that search more than the
// rest of it together.
func (c *catalogData) search(ctx context.Context, q searchQuery, filter string, limit int) ([]hit, bool, error) {
	hits, err := c.namesPass(ctx, q, filter, limit+1, false)
	if err == nil && len(hits) == 0 {
		hits, err = c.namesPass(ctx, q, filter, limit+1, true)
	}
	if err == nil && len(hits) == 0 {
		hits, err = c.bodyPass(ctx, q, filter, limit+1)
	}
	if err != nil {
		return nil, false, err
	}
	return hits[:min(len(hits), limit)], len(hits) > limit, nil
}

// searchRows is the catalog's rows that match where, as the passes rank them: f the
// lowercased name (the full title, which is Secoda's path and ends in the title; the
// title where there is none), on which where matches (with d and x, the description
// and definition, for body); t the lowercased title, computed for the matches only.
// One lowercased column a row is what a search costs: lowering every title as well
// would double it.
func (c *catalogData) searchRows(filter, where string, body bool) string {
	name, title := c.nameSQL("r"), "lower(coalesce(m.title, ''))"
	if c.indexed {
		name, title = "r."+indexName, "m."+indexTitle
	}
	cols := "r.id, r._dlt_id, r.entity_type, r.title, " + c.col(catalogTable, "r", "title_full", "VARCHAR") + " AS title_full, " +
		c.col(catalogTable, "r", "parent_id", "VARCHAR") + " AS parent_id, " + c.col(catalogTable, "r", "integration", "VARCHAR") + " AS integration, " +
		name + " AS f, coalesce(" + c.col(catalogTable, "r", "total_usage", "BIGINT") + ", 0) AS usage"
	switch {
	case c.indexed:
		cols += ", r." + indexTitle
		if body {
			cols += ", r." + indexBody + " AS d, '' AS x"
		}
	case body:
		cols += ", lower(" + c.text("r", "description") + ") AS d, lower(" + c.text("r", "definition") + ") AS x"
	}
	return "SELECT m.*, " + title + " AS t FROM (SELECT " + cols + " FROM resource_catalog r WHERE " + filter + ") m WHERE " + where
}

// nameSQL is a resource's name as search matches it, lowercased: its full title, or
// its title where it has none (lowering the title only there).
func (c *catalogData) nameSQL(alias string) string {
	if !c.hasCol(catalogTable, "title_full") {
		return "lower(coalesce(" + alias + ".title, ''))"
	}
	full := alias + ".title_full"
	return "CASE WHEN " + full + " IS NULL OR " + full + " = '' THEN lower(coalesce(" + alias + ".title, '')) ELSE lower(" + full + ") END"
}

// hitSQL reads the hits of a pass: ranked is its rows with a score, ordered by order
// and limited.
func (c *catalogData) hitSQL(ranked, order string) string {
	return "SELECT s.id, s.entity_type, s.title, s.title_full, s._dlt_id, s.integration, s.score, s.t, s.f, s.parent_id FROM (" +
		ranked + ") s ORDER BY " + order
}

// namesCond is every word in the name.
func namesCond(q searchQuery) string {
	var conds []string
	for _, w := range q.words {
		conds = append(conds, contains("f", w))
	}
	return strings.Join(conds, " AND ")
}

// namesOrder is the order within the name tiers (of a query whose rows have a score
// column: PostgreSQL takes no output name inside an ORDER BY expression): the tier, the shorter name matched
// (the full title for the tiers of the full title: a table before its columns), the
// more used, the id (so that the order is total).
func namesOrder(p string) string {
	return fmt.Sprintf("%[1]sscore DESC, CASE WHEN %[1]sscore IN (%[2]d, %[3]d) THEN length(%[1]sf) ELSE length(%[1]st) END, %[1]susage DESC, %[1]sid",
		p, scoreFull, scoreAllWords)
}

// namesPass ranks the resources with every word in the name (the name tiers), and
// with typos those with every word there within one edit (the typo tier, for words of
// minTypoWord letters or more).
func (c *catalogData) namesPass(ctx context.Context, q searchQuery, filter string, n int, typos bool) ([]hit, error) {
	low := sqlLiteral(q.low)
	var inTitle, typo []string
	forgiven := false
	for _, w := range q.words {
		inTitle = append(inTitle, contains("t", w))
		if len([]rune(w)) < minTypoWord {
			typo = append(typo, contains("f", w))
			continue
		}
		forgiven = true
		if !typos {
			continue
		}
		cond, err := c.typoCond(ctx, w)
		if err != nil {
			return nil, err
		}
		typo = append(typo, cond)
	}
	// The longest word first: the likeliest to rule a row out before the others run.
	slices.SortStableFunc(typo, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	where, most := namesCond(q), n
	if typos && !forgiven {
		return nil, nil
	}
	if typos {
		// The typo condition holds wherever the name condition does.
		where, most = strings.Join(typo, " AND "), n+typoCandidates
	}
	score := fmt.Sprintf("CASE WHEN NOT (%[1]s) THEN %[2]d WHEN t = %[3]s OR f = %[3]s THEN %[4]d WHEN strpos(t, %[3]s) = 1 THEN %[5]d "+
		"WHEN %[6]s THEN %[7]d WHEN %[8]s THEN %[9]d WHEN %[10]s THEN %[11]d ELSE %[12]d END",
		namesCond(q), scoreTypo, low, scoreExact, scorePrefix, contains("t", q.low), scoreTitle, contains("f", q.low), scoreFull,
		strings.Join(inTitle, " AND "), scoreTitleWords, scoreAllWords)
	ranked := "SELECT * FROM (SELECT c.*, " + score + " AS score FROM (" + c.searchRows(filter, where, false) + ") c) c ORDER BY " +
		namesOrder("") + " LIMIT " + fmt.Sprint(most)
	hits, err := c.hits(ctx, c.hitSQL(ranked, namesOrder("s.")), most)
	if err != nil {
		return nil, err
	}
	first := slices.IndexFunc(hits, func(h hit) bool { return h.Score == scoreTypo })
	if first < 0 {
		return hits[:min(n, len(hits))], nil
	}
	return append(hits[:first], closest(q, hits[first:])...)[:min(n, len(hits))], nil
}

// typoCond is the condition that f holds w within one edit. On an index, the words
// of the names within one edit of w are found first (a few thousand words, not a
// million names) and f must hold w or one of them; where more than maxTypoWords
// match, and on a dataset, a cheap condition rules most names out (halves) before a
// regular expression of w's variants checks the rest.
func (c *catalogData) typoCond(ctx context.Context, w string) (string, error) {
	variants := strings.Join(oneEditPatterns(w), "|")
	if c.indexed {
		res, err := c.query(ctx, "SELECT word FROM "+indexWords+" WHERE "+c.regexpMatch("word", variants)+" ORDER BY word LIMIT "+fmt.Sprint(maxTypoWords+1), maxTypoWords+1)
		if err != nil {
			return "", err
		}
		if len(res.Rows) <= maxTypoWords {
			conds := []string{contains("f", w)}
			for _, r := range res.Rows {
				conds = append(conds, contains("f", asString(r[0])))
			}
			return "(" + strings.Join(conds, " OR ") + ")", nil
		}
	}
	return "(" + contains("f", w) + " OR (" + halves(w) + " AND " + c.regexpMatch("f", variants) + "))", nil
}

// maxTypoWords bounds the words of the index a typo's condition lists.
const maxTypoWords = 64

// halves is a cheap condition that holds wherever f holds w within one edit, before
// the regular expression checks it: any string one edit from w keeps one of its
// halves whole, or (a transposition across the middle) holds both, swapped at the
// join.
func halves(w string) string {
	rs := []rune(w)
	h := len(rs) / 2
	across := slices.Clone(rs)
	across[h-1], across[h] = across[h], across[h-1]
	return "(" + contains("f", string(rs[:h])) + " OR " + contains("f", string(rs[h:])) + " OR " + contains("f", string(across)) + ")"
}

// closest orders the typo tier's candidates by the words' edit distances to the
// nearest part of a word of the title, then to the nearest whole word of it (customer
// before customers), then the same in the name; then as SQL ordered them.
func closest(q searchQuery, hits []hit) []hit {
	type closeness struct {
		hit  hit
		dist [4]int
		ord  int
	}
	rs := make([]closeness, len(hits))
	for i, h := range hits {
		rs[i] = closeness{hit: h, ord: i}
		for k, tokens := range [][]string{nameTokens(h.t), nameTokens(h.f)} {
			for _, w := range q.words {
				part, whole := len(w), len(w)
				for _, tok := range tokens {
					part = min(part, substringDistance(w, tok))
					whole = min(whole, editDistance(w, tok))
				}
				rs[i].dist[2*k] += part
				rs[i].dist[2*k+1] += whole
			}
		}
	}
	slices.SortFunc(rs, func(a, b closeness) int {
		return cmp.Or(slices.Compare(a.dist[:], b.dist[:]), cmp.Compare(a.ord, b.ord))
	})
	out := make([]hit, len(rs))
	for i, r := range rs {
		out[i] = r.hit
	}
	return out
}

// regexpMatch is the condition that text expr matches re, an alternation of letters,
// digits and dots, which RE2 (DuckDB) and PostgreSQL read alike; the one place the
// dialects differ here.
func (c *catalogData) regexpMatch(expr, re string) string {
	if c.dest.Type() == dest.Postgres {
		return expr + " ~ " + sqlLiteral(re)
	}
	return "regexp_matches(" + expr + ", " + sqlLiteral(re) + ")"
}

// bodyPass finds resources with every word somewhere in the title, full title,
// description or definition; the more used first.
func (c *catalogData) bodyPass(ctx context.Context, q searchQuery, filter string, n int) ([]hit, error) {
	if !c.hasCol(catalogTable, "description") && !c.hasCol(catalogTable, "definition") && !c.hasCol(catalogTable, indexBody) {
		return nil, nil
	}
	var conds []string
	for _, w := range q.words {
		conds = append(conds, "("+contains("f", w)+" OR "+contains("d", w)+" OR "+contains("x", w)+")")
	}
	order := func(p string) string { return p + "usage DESC, length(" + p + "t), " + p + "id" }
	ranked := "SELECT c.*, " + fmt.Sprint(scoreBody) + " AS score FROM (" + c.searchRows(filter, strings.Join(conds, " AND "), true) +
		") c ORDER BY " + order("") + " LIMIT " + fmt.Sprint(n)
	return c.hits(ctx, c.hitSQL(ranked, order("s.")), n)
}

// hit is a SearchHit with what the ranking and the labels need.
type hit struct {
	SearchHit
	dltID, t, f string
}

func (c *catalogData) hits(ctx context.Context, sql string, n int) ([]hit, error) {
	res, err := c.query(ctx, sql, n)
	if err != nil {
		return nil, err
	}
	out := make([]hit, len(res.Rows))
	paths := make([]pathOf, len(res.Rows))
	for i, r := range res.Rows {
		score := int(asInt(r[6]))
		out[i] = hit{SearchHit: SearchHit{
			ResourceRef: ResourceRef{ID: asString(r[0]), EntityType: asString(r[1]), Title: asString(r[2])},
			Integration: asString(r[5]), Score: score, Match: matchNames[score], Owners: []string{}, Tags: []string{},
		}, dltID: asString(r[4]), t: asString(r[7]), f: asString(r[8])}
		paths[i] = pathOf{title: out[i].Title, full: asString(r[3]), parent: asString(r[9]), path: &out[i].Path}
	}
	return out, c.fillPaths(ctx, paths)
}

// describeHits is the hits with their owners, tags and integration names.
func (c *catalogData) describeHits(ctx context.Context, hits []hit, integrationNames map[string]string) ([]SearchHit, error) {
	dltIDs := make([]string, len(hits))
	for i, h := range hits {
		dltIDs[i] = h.dltID
	}
	labels, err := c.labels(ctx, dltIDs, []string{"owners", "tags"}, labelsPerResource)
	if err != nil {
		return nil, err
	}
	out := make([]SearchHit, len(hits))
	for i, h := range hits {
		out[i] = h.SearchHit
		out[i].Owners = names(labels["owners"][h.dltID])
		out[i].Tags = names(labels["tags"][h.dltID])
		if n := integrationNames[h.Integration]; n != "" {
			out[i].Integration = n
		}
	}
	return out, nil
}

// oneEditPatterns are the strings one edit from w, as regular expressions (w is
// letters and digits, so nothing needs quoting): a letter deleted, one inserted (.),
// one substituted (.), or two adjacent ones swapped. Edits at either end are left out
// where the deletion of that end already matches them inside a longer name.
func oneEditPatterns(w string) []string {
	rs := []rune(w)
	n := len(rs)
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for i := range n {
		add(string(rs[:i]) + string(rs[i+1:])) // deletion
	}
	for i := 1; i < n; i++ {
		add(string(rs[:i]) + "." + string(rs[i:])) // insertion
	}
	for i := 1; i < n-1; i++ {
		add(string(rs[:i]) + "." + string(rs[i+1:])) // substitution
	}
	for i := 0; i+1 < n; i++ {
		if rs[i] != rs[i+1] {
			sw := slices.Clone(rs)
			sw[i], sw[i+1] = sw[i+1], sw[i]
			add(string(sw)) // transposition
		}
	}
	return out
}

// nameTokens splits names into words, as the query is split.
func nameTokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// editDistance is the optimal string alignment distance (Levenshtein with adjacent
// transpositions) of a and b, by runes.
func editDistance(a, b string) int { return osa([]rune(a), []rune(b), false) }

// substringDistance is the least editDistance of a to any part of b.
func substringDistance(a, b string) int { return osa([]rune(a), []rune(b), true) }

func osa(a, b []rune, part bool) int {
	rows := make([][]int, len(a)+1)
	for i := range rows {
		rows[i] = make([]int, len(b)+1)
		rows[i][0] = i
	}
	for j := range b {
		if !part {
			rows[0][j+1] = j + 1
		}
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, rows[i-2][j-2]+1)
			}
			rows[i][j] = v
		}
	}
	if !part {
		return rows[len(a)][len(b)]
	}
	return slices.Min(rows[len(a)])
}

func searchText(out SearchCatalogOut) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s for %s.\n\n", plural(out.Count, "result"), shown(out.Query))
	if out.Count > 0 {
		cells := make([][]any, 0, len(out.Results))
		for _, h := range out.Results {
			cells = append(cells, []any{h.Title, h.EntityType, h.Path, orDash(strings.Join(h.Owners, ", ")), orDash(strings.Join(h.Tags, ", ")), h.Match, h.ID})
		}
		b.WriteString(table.Markdown([]string{"title", "type", "path", "owners", "tags", "match", "id"}, cells, 80))
		b.WriteString("\n")
	}
	b.WriteString("Next: " + out.Next + "\n")
	return b.String()
}
