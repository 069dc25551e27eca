package simulator

import (
	"strconv"
	"strings"
	"time"
)

// view is how an entity is shown: lists carry parent_id, a detail (resource/all/{id}
// and the other endpoints' {id}) carries parent, the parent's id. Both are the UUID
// string or null: "parent: Optional[UUID]" in a client generated from Secoda's schema.
type view int

const (
	viewList view = iota
	viewDetail
)

// render builds the entity at idx as an endpoint shows it.
func (w *Workspace) render(idx int, v view) record {
	k, ord := w.ordinal(idx)
	if isCatalog(k) {
		return w.renderCatalog(idx, k, ord, v)
	}
	switch k {
	case kIntegration:
		return w.renderIntegration(idx, ord)
	case kDocument:
		return w.renderDocument(idx, ord, v)
	case kCollection:
		return w.renderCollection(idx, ord)
	case kQuestion:
		return w.renderQuestion(idx, ord)
	case kReply:
		return w.renderReply(idx, ord)
	case kUser:
		return w.renderUser(idx, ord)
	case kTeam:
		return w.renderTeam(idx, ord)
	case kGroup:
		return w.renderGroup(idx, ord)
	case kTag:
		return w.renderTag(idx, ord)
	case kLineage:
		return w.renderLineage(idx, ord)
	case kMonitor:
		return w.renderMonitor(idx, ord)
	case kIncident:
		return w.renderIncident(idx, ord)
	case kCustomProperty:
		return w.renderCustomProperty(idx, ord)
	case kAuditLog:
		return w.renderAuditEntry(idx, ord)
	}
	return record{{"id", w.ID(idx)}}
}

func (w *Workspace) url(k kind, id string) string {
	return "https://app.secoda.co/" + strings.ReplaceAll(entityType(k), "_", "-") + "/" + id
}

func (w *Workspace) description(idx int) any {
	if w.chance(idx, 40, 0.12) {
		return nil
	}
	if w.chance(idx, 41, 0.1) {
		return ""
	}
	return pick(w, idx, 42, sentences)
}

func (w *Workspace) definition(idx int) string {
	if w.chance(idx, 43, 0.3) {
		return ""
	}
	return `<p>` + pick(w, idx, 44, sentences) + `</p><p>See <a href="https://wiki.example.com/data?x=1&amp;y=2">the wiki</a> &amp; ask "data".</p>`
}

func (w *Workspace) integrationID(k kind, ord int) any {
	if i := w.integrationOf(k, ord); i >= 0 {
		return w.ID(w.index(kIntegration, i))
	}
	return nil
}

// customProperties is properties.custom: values of some of the workspace's custom
// property definitions.
func (w *Workspace) customProperties(idx int) []record {
	total := w.count[kCustomProperty]
	n := min(w.intn(idx, 50, 3), total)
	first := w.intn(idx, 51, max(1, total))
	out := make([]record, 0, n)
	for i := range n {
		o := (first + i) % total
		pidx := w.index(kCustomProperty, o)
		typ := propertyDefs[o%len(propertyDefs)].typ
		var value any
		switch typ {
		case "number":
			value = strconv.Itoa(w.intn(idx, 52+uint64(i), 1000))
		case "boolean":
			value = w.chance(idx, 52+uint64(i), 0.5)
		case "user":
			value = w.optionalID(kUser, idx, 53+uint64(i), 1)
		case "date":
			value = w.createdAt(idx + i).Format("2006-01-02")
		case "select":
			value = pick(w, idx, 54+uint64(i), []string{"Gold", "Silver", "Bronze"})
		default:
			value = pick(w, idx, 54+uint64(i), tagNames)
		}
		out = append(out, record{
			{"id", w.ID(pidx)}, {"name", w.propertyName(o)}, {"value", value}, {"type", typ},
			{"order", o}, {"created_at", w.createdAt(pidx)}, {"updated_at", w.generatedUpdatedAt(pidx)},
		})
	}
	return out
}

func (w *Workspace) propertyName(o int) string {
	return propertyDefs[o%len(propertyDefs)].name + suffix(o/len(propertyDefs))
}

// childrenCount drifts between a number and a numeric string, as Secoda's API has.
func (w *Workspace) childrenCount(idx int, n int) any {
	if w.chance(idx, 60, 0.15) {
		return strconv.Itoa(n)
	}
	return n
}

// catalogType is the catalog's type field: the entity type, except for columns, whose
// type is their data type ("only for columns" in Secoda's docs; no source shows a
// data_type field).
func (w *Workspace) catalogType(k kind, idx int) string {
	if k == kColumn {
		return w.columnType(idx)
	}
	return entityType(k)
}

func (w *Workspace) columnType(idx int) string { return pick(w, idx, 80, dataTypes) }

// parentID is a catalog resource's parent_id: the id of the resource it hangs off, or
// null for those that hang off an integration (databases, dashboards) or nothing.
func (w *Workspace) parentID(k kind, ord int) any {
	pk, po, ok := w.parentOf(k, ord)
	if !ok || pk == kIntegration {
		return nil
	}
	return w.ID(w.index(pk, po))
}

// schemaTitle is the schema field: the schema's name, for tables and columns.
func (w *Workspace) schemaTitle(k kind, ord int) any {
	if k != kTable && k != kColumn {
		return nil
	}
	return w.title(w.index(kSchema, w.ancestor(k, ord, kSchema)))
}

func (w *Workspace) renderCatalog(idx int, k kind, ord int, v view) record {
	id := w.ID(idx)
	et := entityType(k)
	native := et
	switch k {
	case kTable:
		if w.chance(idx, 61, 0.2) {
			native = "view"
		}
	case kDashboard:
		native = pick(w, idx, 61, []string{"dashboard", "workbook", "space"})
	case kChart:
		native = pick(w, idx, 61, []string{"chart", "tile", "look"})
	case kMetric:
		native = pick(w, idx, 61, []string{"metric", "semantic_metric"})
	}
	var database, cluster any
	switch k {
	case kSchema, kTable, kColumn:
		database = w.title(w.index(kDatabase, w.ancestor(k, ord, kDatabase)))
		cluster = w.integrationType(w.integrationOf(k, ord))
	case kDatabase:
		cluster = w.integrationType(w.integrationOf(k, ord))
	}
	schema := w.schemaTitle(k, ord)
	var externalUpdated any
	if k == kDashboard || k == kChart || k == kTable {
		externalUpdated = w.generatedUpdatedAt(idx).Add(-time.Duration(w.h(idx, 62)%86400) * time.Second)
	}
	parentKey := "parent_id"
	if v == viewDetail {
		parentKey = "parent"
	}
	r := make(record, 0, 48)
	r = append(r,
		field{"id", id},
		field{"created_at", w.createdAt(idx)},
		field{"updated_at", w.generatedUpdatedAt(idx)},
		field{"entity_type", et},
		field{"native_type", native},
		field{"title", w.title(idx)},
		field{"title_full", w.titleFull(k, ord)},
		field{"description", w.description(idx)},
		field{"definition", w.definition(idx)},
		field{"owners", w.ids(kUser, idx, 70, 2)},
		field{"owners_groups", w.ids(kGroup, idx, 71, 1)},
		field{"collections", w.ids(kCollection, idx, 72, 2)},
		field{"tags", w.ids(kTag, idx, 73, 3)},
		field{"teams", w.ids(kTeam, idx, 74, 2)},
		field{parentKey, w.parentID(k, ord)},
		field{"integration", w.integrationID(k, ord)},
		field{"workspace_id", w.wsID},
		field{"published", !w.chance(idx, 75, 0.1)},
		field{"archived", w.chance(idx, 76, 0.03)},
		field{"pii", k == kColumn && w.chance(idx, 77, 0.1)},
		field{"verified", w.chance(idx, 78, 0.25)},
		field{"url", w.url(k, id)},
		field{"total_usage", w.externalUsage(idx) + w.internalUsage(idx)},
		field{"internal_usage", w.internalUsage(idx)},
		field{"external_usage", w.externalUsage(idx)},
		field{"external_updated_at", externalUpdated},
		field{"children_count", w.childrenCount(idx, w.childCount(k, ord))},
		field{"properties", record{{"custom", w.customProperties(idx)}}},
		field{"schema", schema},
		field{"database", database},
		field{"cluster", cluster},
		field{"type", w.catalogType(k, idx)},
		field{"stale", w.chance(idx, 79, 0.05)},
	)
	switch k {
	case kColumn:
		t, pos := w.columnPlace(ord)
		r = append(r,
			field{"sort_order", pos},
			field{"is_pk", pos == 0},
			field{"hidden", w.chance(idx, 81, 0.02)},
			field{"table_title", w.title(w.index(kTable, t))},
			field{"table_schema", schema},
			field{"table_database", database},
			field{"table_cluster", cluster},
		)
	case kDashboard, kChart:
		r = append(r,
			field{"product", w.integrationType(w.integrationOf(k, ord))},
			field{"group", pick(w, idx, 82, []string{"Shared", "Personal", "Finance", "Marketing"})},
		)
	case kQuery:
		r = append(r, field{"sql", w.title(idx) + ";"}, field{"dialect", w.integrationType(w.integrationOf(k, ord))})
	}
	return r
}

// renderIntegration follows the doc sample of integration/integrations: credentials
// are {} as in every sample (secrets are not served), the schedule's frequency is an
// integer of hours, ssh_tunnel is "None" as the sample prints it, or for some
// warehouses a tunnel's id (an open question: no sample shows a set one).
func (w *Workspace) renderIntegration(idx, ord int) record {
	last := w.generatedUpdatedAt(idx)
	freq := pick(w, idx, 91, []int{1, 6, 12, 24, 24, 24, 168})
	var tunnel any = "None"
	if ord < w.tree.warehouses && w.chance(idx, 97, 0.25) {
		tunnel = uuidString(w.h(idx, 98), w.h(idx, 99))
	}
	roles := []string{"Admin"}
	if w.chance(idx, 95, 0.5) {
		roles = append(roles, "Editor")
	}
	return record{
		{"id", w.ID(idx)},
		{"created_at", w.createdAt(idx)},
		{"updated_at", last},
		{"name", w.title(idx)},
		{"type", w.integrationType(ord)},
		{"credentials", record{}},
		{"workspace_id", w.wsID},
		{"ssh_tunnel", tunnel},
		{"execute_access", w.ids(kUser, idx, 100, 2)},
		{"scheduled_extractions_hour", w.intn(idx, 92, 24)},
		{"scheduled_extractions_frequency", freq},
		{"scheduled_extractions_next_run", last.Add(time.Duration(freq) * time.Hour)},
		{"scheduled_extractions_last_run", last},
		{"properties", record{{"extraction_status", pick(w, idx, 93, []string{"success", "success", "failed"})}, {"resources_extracted", w.intn(idx, 94, 100000)}}},
		{"preview_access_users", w.ids(kUser, idx, 96, 3)},
		{"preview_access_roles", roles},
		{"preview_access_groups", w.ids(kGroup, idx, 101, 2)},
		{"teams", w.ids(kTeam, idx, 74, 2)},
	}
}

// documentParent is the document a document sits in, or nil.
func (w *Workspace) documentParent(idx, ord int) any {
	if ord > 0 && w.chance(idx, 100, 0.3) {
		return w.ID(w.index(kDocument, w.intn(idx, 101, ord)))
	}
	return nil
}

func (w *Workspace) renderDocument(idx, ord int, v view) record {
	id := w.ID(idx)
	parentKey := "parent_id"
	if v == viewDetail {
		parentKey = "parent"
	}
	return record{
		{"id", id},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
		{"entity_type", "document"},
		{"title", w.title(idx)},
		{"description", w.description(idx)},
		{"definition", w.definition(idx)},
		{"icon", pick(w, idx, 102, []string{"📄", "📘", "🧭", ""})},
		{parentKey, w.documentParent(idx, ord)},
		{"owners", w.ids(kUser, idx, 70, 2)},
		{"collections", w.ids(kCollection, idx, 72, 2)},
		{"tags", w.ids(kTag, idx, 73, 2)},
		{"teams", w.ids(kTeam, idx, 74, 1)},
		{"published", !w.chance(idx, 75, 0.2)},
		{"archived", w.chance(idx, 76, 0.05)},
		{"workspace_id", w.wsID},
		{"url", w.url(kDocument, id)},
		{"properties", record{{"custom", w.customProperties(idx)}}},
	}
}

func (w *Workspace) renderCollection(idx, ord int) record {
	id := w.ID(idx)
	return record{
		{"id", id},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
		{"entity_type", "collection"},
		{"title", w.title(idx)},
		{"description", w.description(idx)},
		{"icon", pick(w, idx, 102, []string{"📁", "💰", "🚀", "📊"})},
		{"owners", w.ids(kUser, idx, 70, 2)},
		{"teams", w.ids(kTeam, idx, 74, 2)},
		{"tags", w.ids(kTag, idx, 73, 1)},
		{"pinned", ord < 2},
		{"children_count", w.childrenCount(idx, w.intn(idx, 103, 40))},
		{"workspace_id", w.wsID},
		{"url", w.url(kCollection, id)},
	}
}

// acceptedReply is the ordinal of the reply a question accepted, or -1.
func (w *Workspace) acceptedReply(idx, ord int) int {
	if w.lay.RepliesPerQuestion > 0 && pick(w, idx, 110, []string{"open", "answered", "answered", "closed"}) == "answered" {
		return ord*w.lay.RepliesPerQuestion + w.intn(idx, 116, w.lay.RepliesPerQuestion)
	}
	return -1
}

func (w *Workspace) renderQuestion(idx, ord int) record {
	id := w.ID(idx)
	status := pick(w, idx, 110, []string{"open", "answered", "answered", "closed"})
	var accepted any
	if r := w.acceptedReply(idx, ord); r >= 0 {
		accepted = w.ID(w.index(kReply, r))
	}
	return record{
		{"id", id},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
		{"entity_type", "question"},
		{"title", w.title(idx)},
		{"description", w.description(idx)},
		{"definition", w.definition(idx)},
		{"status", status},
		{"priority", pick(w, idx, 111, []string{"low", "medium", "high"})},
		{"assigned_to", w.optionalID(kUser, idx, 112, 0.6)},
		// answer is listed among the fields of questions; what it holds besides the
		// accepted reply is an open question, so it names the same reply.
		{"answer", accepted},
		{"accepted_answer", accepted},
		{"votes_sum", w.intn(idx, 113, 12) - 2},
		{"reactions", record{{"👍", w.intn(idx, 114, 6)}, {"🎉", w.intn(idx, 115, 3)}}},
		{"owners", w.ids(kUser, idx, 70, 1)},
		{"tags", w.ids(kTag, idx, 73, 2)},
		{"collections", w.ids(kCollection, idx, 72, 1)},
		{"teams", w.ids(kTeam, idx, 74, 1)},
		{"workspace_id", w.wsID},
		{"url", w.url(kQuestion, id)},
	}
}

// renderReply links a reply to its question through parent, the question's id.
func (w *Workspace) renderReply(idx, ord int) record {
	_, q, _ := w.parentOf(kReply, ord)
	return record{
		{"id", w.ID(idx)},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
		{"parent", w.ID(w.index(kQuestion, q))},
		{"definition", "<p>" + pick(w, idx, 120, sentences) + "</p>"},
		{"owners", w.ids(kUser, idx, 70, 1)},
		{"reactions", record{{"👍", w.intn(idx, 114, 4)}}},
	}
}

// pythonBool is how the users sample prints pending: "True" or "False", a string.
func pythonBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// renderUser follows the doc sample of user: no created_at, and Python's str() of
// values where JSON would have null or a boolean ("last_login": "None",
// "pending": "False").
func (w *Workspace) renderUser(idx, ord int) record {
	first := pick(w, idx, 130, firstNames)
	last := pick(w, idx, 131, lastNames)
	service := ord > 0 && w.chance(idx, 132, 0.05)
	pending := ord > 0 && !service && w.chance(idx, 138, 0.08)
	var lastLogin any = "None"
	if !pending && !w.chance(idx, 133, 0.1) {
		lastLogin = w.generatedUpdatedAt(idx)
	}
	var picture any = ""
	if w.chance(idx, 139, 0.6) {
		picture = "https://secoda-public-media-assets.s3.amazonaws.com/avatars/" + w.ID(idx) + ".jpg"
	}
	return record{
		{"id", w.ID(idx)},
		{"first_name", first},
		{"last_name", last},
		{"email", strings.ToLower(strings.NewReplacer("'", "", " ", "").Replace(first+"."+last)) + strconv.Itoa(ord) + "@example.com"},
		{"role", pick(w, idx, 134, roles)},
		{"workspace_id", w.wsID},
		{"profile_picture", picture},
		{"pending", pythonBool(pending)},
		{"user_groups", w.ids(kGroup, idx, 135, 2)},
		{"bookmarks", w.ids(kTable, idx, 140, 3)},
		{"workspace", w.wsID},
		{"is_service_account", service},
		{"service_account_count_popularity", !service || w.chance(idx, 141, 0.5)},
		{"last_login", lastLogin},
		{"new_feature_acknowledged", w.chance(idx, 137, 0.7)},
		{"disabled", w.chance(idx, 136, 0.05)},
	}
}

func (w *Workspace) renderTeam(idx, ord int) record {
	typ := "OPEN"
	if ord%3 == 2 {
		typ = "CLOSED"
	}
	r := record{
		{"id", w.ID(idx)},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
		{"name", pick(w, idx, 140, []string{"Analytics", "Data platform", "Finance", "Growth", "Équipe produit", "Ops"}) + suffix(ord/6)},
		{"icon", pick(w, idx, 141, []string{"🏠", "📊", "💼", "🧪"})},
		{"type", typ},
		{"description", w.description(idx)},
		{"sidebar_settings", record{{"home", true}, {"catalog", true}, {"collections", w.chance(idx, 142, 0.8)},
			{"documents", w.chance(idx, 143, 0.8)}, {"glossary", w.chance(idx, 144, 0.7)}, {"questions", w.chance(idx, 145, 0.5)}}},
		{"workspace_id", w.wsID},
		{"archived", ord > 0 && ord%7 == 6},
		{"is_default_team", ord == 0},
	}
	// The flag was renamed between API versions (the older sample says
	// onboarding_complete, the newer onboarding_completed): a loader has to take both.
	if ord%2 == 0 {
		r = append(r, field{"onboarding_complete", true})
	} else {
		r = append(r, field{"onboarding_completed", w.chance(idx, 146, 0.8)})
	}
	return r
}

func (w *Workspace) renderGroup(idx, ord int) record {
	return record{
		{"id", w.ID(idx)},
		{"created_at", w.createdAt(idx)},
		{"name", pick(w, idx, 150, []string{"Admins", "Analysts", "Engineers", "Stewards", "Viewers"}) + suffix(ord/5)},
		{"icon", "👥"},
		{"description", w.description(idx)},
		{"users", w.ids(kUser, idx, 151, 6)},
		{"workspace_id", w.wsID},
	}
}

func (w *Workspace) renderTag(idx, ord int) record {
	var integration any
	if w.chance(idx, 160, 0.2) {
		integration = w.integrationID(kIntegration, w.intn(idx, 161, max(1, w.count[kIntegration])))
	}
	return record{
		{"id", w.ID(idx)},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
		{"name", tagNames[ord%len(tagNames)] + suffix(ord/len(tagNames))},
		{"description", w.description(idx)},
		{"color", pick(w, idx, 162, colors)},
		{"integration_id", integration},
		{"workspace_id", w.wsID},
	}
}

// lineagePair is pair p's ends: upstream, a table, feeds downstream, a table or (one
// edge in five) a chart.
func (w *Workspace) lineagePair(p int) (up, down int) {
	idx := w.index(kLineage, 2*p)
	up = w.index(kTable, w.intn(idx, 170, max(1, w.count[kTable])))
	if w.chance(idx, 171, 0.2) && w.count[kChart] > 0 {
		down = w.index(kChart, w.intn(idx, 172, w.count[kChart]))
	} else {
		down = w.index(kTable, w.intn(idx, 173, max(1, w.count[kTable])))
	}
	return up, down
}

// lineageEdge is record ord of the lineage list. "The opposite direction of the
// lineage is automatically generated": each pair is two records with their own ids,
// A→B DOWNSTREAM and then B→A UPSTREAM.
func (w *Workspace) lineageEdge(ord int) (from, to int, direction string) {
	up, down := w.lineagePair(ord / 2)
	if ord%2 == 0 {
		return up, down, "DOWNSTREAM"
	}
	return down, up, "UPSTREAM"
}

// lineageManual tells a pair drawn by hand from one an integration extracted.
func (w *Workspace) lineageManual(ord int) bool {
	return !w.chance(w.index(kLineage, ord-ord%2), 175, 0.2)
}

// lineageIntegrationType is what integration__type (and the older integration_type)
// filter on: the type of the integration that extracted the pair, the downstream end's,
// or "" for a manual pair. Records do not show it, and which integration a Secoda edge
// belongs to is an open question; the filter's value is one type, as documented.
func (w *Workspace) lineageIntegrationType(ord int) string {
	if w.lineageManual(ord) {
		return ""
	}
	_, down := w.lineagePair(ord / 2)
	k, o := w.ordinal(down)
	return w.integrationType(w.integrationOf(k, o))
}

func (w *Workspace) renderLineage(idx, ord int) record {
	from, to, dir := w.lineageEdge(ord)
	return record{
		{"id", w.ID(idx)},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
		{"from_entity_id", w.ID(from)},
		{"to_entity_id", w.ID(to)},
		{"direction", dir},
		{"workspace_id", w.wsID},
		{"is_manual", w.lineageManual(ord)},
	}
}

// monitorTarget is the table or column a monitor watches.
func (w *Workspace) monitorTarget(idx int) int {
	if w.chance(idx, 179, 0.4) && w.count[kColumn] > 0 {
		return w.index(kColumn, w.intn(idx, 180, w.count[kColumn]))
	}
	return w.index(kTable, w.intn(idx, 180, max(1, w.count[kTable])))
}

// renderMonitor follows the doc sample of monitor/monitors: a name, frequency in hours,
// flat condition_* thresholds (auto sensitivity or manual bounds), the last run's
// timestamps, and display_metadata describing the target. The sample prints
// metric_config as "text"; it is an object here (what it holds is an open question).
func (w *Workspace) renderMonitor(idx, ord int) record {
	target := w.monitorTarget(idx)
	tk, to := w.ordinal(target)
	metric := pick(w, idx, 181, monitorMetrics)
	status := pick(w, idx, 182, []string{"normal", "normal", "incident", "learning"})
	var sensitivity, manualMin, manualMax any
	if w.chance(idx, 184, 0.6) {
		sensitivity = 1 + w.intn(idx, 185, 9)
	} else {
		manualMin = nilOr(w.chance(idx, 186, 0.3), float64(w.intn(idx, 187, 100)))
		manualMax = float64(100 + w.intn(idx, 188, 10000))
	}
	attempted := w.generatedUpdatedAt(idx)
	success := attempted
	var errorAt any
	errorMessage := ""
	if w.chance(idx, 189, 0.1) {
		errorAt = attempted
		errorMessage = "Query timed out after 300 seconds"
		success = attempted.Add(-time.Duration(1+w.intn(idx, 190, 72)) * time.Hour)
	}
	var lastIncident any
	if status == "incident" && w.count[kIncident] > 0 {
		lastIncident = w.ID(w.index(kIncident, w.intn(idx, 191, w.count[kIncident])))
	}
	config := record{}
	if metric == "custom_sql" {
		config = record{{"query", "select count(*) from " + w.title(target) + " where status is null"}}
	}
	freq := pick(w, idx, 183, []int{1, 6, 12, 24, 24, 168})
	integration := w.integrationID(tk, to)
	return record{
		{"id", w.ID(idx)},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
		{"integration", integration},
		{"target", w.ID(target)},
		{"workspace", w.wsID},
		{"metric_type", metric},
		{"metric_config", config},
		{"frequency", freq},
		{"name", strings.ReplaceAll(capitalize(metric), "_", " ") + " in " + w.title(target)},
		{"is_enabled", !w.chance(idx, 192, 0.1)},
		{"last_attempted_at", attempted},
		{"last_success_at", success},
		{"last_error_at", errorAt},
		{"last_error_message", errorMessage},
		{"condition_auto_sensitivity", sensitivity},
		{"condition_manual_min", manualMin},
		{"condition_manual_max", manualMax},
		{"status", status},
		{"display_metadata", record{{"target", record{{"icon", nil}, {"label", w.title(target)}, {"entity_type", entityType(tk)},
			{"integration", integration}, {"integration_type", w.integrationType(w.integrationOf(tk, to))}}}}},
		{"last_measurement_value", float64(w.intn(idx, 193, 1000000)) / 100},
		{"last_incident", lastIncident},
		{"last_measurement", uuidString(w.h(idx, 194), w.h(idx, 195))},
		{"next_run_at", attempted.Add(time.Duration(freq) * time.Hour)},
	}
}

// renderIncident keeps the simulator's own shape: no public source shows an incident's
// fields (open question: the fields of monitor/incidents), so a loader must take
// whatever comes.
func (w *Workspace) renderIncident(idx, ord int) record {
	m := w.index(kMonitor, w.intn(idx, 190, max(1, w.count[kMonitor])))
	status := pick(w, idx, 191, []string{"active", "acknowledged", "resolved", "resolved"})
	var resolved any
	if status == "resolved" {
		resolved = w.generatedUpdatedAt(idx)
	}
	return record{
		{"id", w.ID(idx)},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
		{"monitor", w.ID(m)},
		{"target", w.ID(w.monitorTarget(m))},
		{"status", status},
		{"value", float64(w.intn(idx, 192, 100000)) / 100},
		{"threshold", float64(w.intn(idx, 193, 50000)) / 100},
		{"resolved_at", resolved},
	}
}

// renderCustomProperty follows the doc sample of the definitions list:
// {id, name, entity_types, value_type, integration}; integration is {name, type, id}
// for a property an integration brought, else null.
func (w *Workspace) renderCustomProperty(idx, ord int) record {
	types := [][]string{{"all"}, {"table", "column"}, {"table"}, {"dashboard", "chart"}, {"document"}}
	var integration any
	if w.tree.warehouses > 0 && ord%4 == 3 {
		i := ord % w.tree.warehouses
		ii := w.index(kIntegration, i)
		integration = record{{"name", w.title(ii)}, {"type", w.integrationType(i)}, {"id", w.ID(ii)}}
	}
	return record{
		{"id", w.ID(idx)},
		{"name", w.propertyName(ord)},
		{"entity_types", types[ord%len(types)]},
		{"value_type", propertyDefs[ord%len(propertyDefs)].typ},
		{"integration", integration},
	}
}

// renderAuditEntry follows the example response of GET notification/workspace/ in
// Secoda's docs source (features/audit-log.md): {id, created_at, event, resource_id,
// resource_type, performer{id, name}}. The list of events and what a system actor looks
// like ("System-generated changes are marked with \"system\" as the actor") are open
// questions: performer is {"id": null, "name": "system"} here.
func (w *Workspace) renderAuditEntry(idx, ord int) record {
	var resource any
	resourceType := "table"
	if n := w.CatalogSize(); n > 0 {
		r := w.start[firstCatalogKind] + w.intn(idx, 200, n)
		resource = w.ID(r)
		resourceType = entityType(w.kindOf(r))
	}
	performer := record{{"id", nil}, {"name", "system"}}
	if !w.chance(idx, 201, 0.15) && w.count[kUser] > 0 {
		u := w.index(kUser, w.intn(idx, 202, w.count[kUser]))
		performer = record{{"id", w.ID(u)}, {"name", pick(w, u, 130, firstNames) + " " + pick(w, u, 131, lastNames)}}
	}
	return record{
		{"id", w.ID(idx)},
		{"created_at", w.auditAt(ord)},
		{"event", pick(w, idx, 203, auditEvents)},
		{"resource_id", resource},
		{"resource_type", resourceType},
		{"performer", performer},
	}
}

func nilOr(isNil bool, v any) any {
	if isNil {
		return nil
	}
	return v
}
