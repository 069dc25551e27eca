package simulator

import (
	"strconv"
	"strings"
	"time"
)

// view is how an entity is shown: lists carry parent_id, the detail endpoint a parent
// object, and the deprecated columns list the data type in "type".
type view int

const (
	viewList view = iota
	viewDetail
	viewColumnList
)

// Render builds the entity at idx as an endpoint shows it.
func (w *Workspace) render(idx int, v view) record {
	k := w.kindOf(idx)
	ord := idx - w.start[k]
	if k >= firstCatalogKind && k <= lastCatalogKind {
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
	}
	children := 0
	switch k {
	case kDatabase:
		children = w.lay.SchemasPerDatabase
	case kSchema:
		children = w.lay.TablesPerSchema
	case kTable:
		children = w.lay.ColumnsPerTable
	case kDashboard:
		children = w.lay.ChartsPerDashboard
	}
	var schema, database, cluster any
	switch k {
	case kSchema, kTable, kColumn:
		s := w.ancestor(k, ord, kSchema)
		d := w.ancestor(k, ord, kDatabase)
		if k != kSchema {
			schema = w.title(w.index(kSchema, s))
		}
		database = w.title(w.index(kDatabase, d))
		cluster = w.integrationType(w.integrationOf(k, ord))
	case kDatabase:
		cluster = w.integrationType(w.integrationOf(k, ord))
	}
	var externalUpdated any
	if k == kDashboard || k == kChart || k == kTable {
		externalUpdated = w.generatedUpdatedAt(idx).Add(-time.Duration(w.h(idx, 62)%86400) * time.Second)
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
	)
	if pk, po, ok := w.parentOf(k, ord); ok && pk != kIntegration {
		pidx := w.index(pk, po)
		if v == viewDetail {
			r = append(r, field{"parent", record{{"id", w.ID(pidx)}, {"title", w.title(pidx)}, {"entity_type", entityType(pk)}}})
		} else {
			r = append(r, field{"parent_id", w.ID(pidx)})
		}
	} else if v == viewDetail {
		r = append(r, field{"parent", nil})
	} else {
		r = append(r, field{"parent_id", nil})
	}
	r = append(r,
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
		field{"children_count", w.childrenCount(idx, children)},
		field{"properties", record{{"custom", w.customProperties(idx)}}},
		field{"schema", schema},
		field{"database", database},
		field{"cluster", cluster},
		field{"type", et},
		field{"stale", w.chance(idx, 79, 0.05)},
	)
	switch k {
	case kColumn:
		t := w.ancestor(k, ord, kTable)
		tidx := w.index(kTable, t)
		dataType := pick(w, idx, 80, dataTypes)
		if v == viewColumnList {
			r = r.set("type", dataType)
		} else {
			r = append(r, field{"data_type", dataType})
		}
		r = append(r,
			field{"sort_order", ord % w.lay.ColumnsPerTable},
			field{"is_pk", ord%w.lay.ColumnsPerTable == 0},
			field{"hidden", w.chance(idx, 81, 0.02)},
			field{"table_title", w.title(tidx)},
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

// ancestor walks up from (k, ord) to the ordinal of the ancestor of kind want.
func (w *Workspace) ancestor(k kind, ord int, want kind) int {
	for k != want {
		pk, po, ok := w.parentOf(k, ord)
		if !ok {
			return 0
		}
		k, ord = pk, po
	}
	return ord
}

func (w *Workspace) renderIntegration(idx, ord int) record {
	typ := w.integrationType(ord)
	creds := record{}
	if ord < w.lay.Warehouses {
		creds = record{{"account", "acme-" + strconv.Itoa(ord)}, {"warehouse", "COMPUTE_WH"}, {"role", "SECODA_READER"}, {"user", "secoda_svc"}}
	} else {
		creds = record{{"base_url", "https://bi.example.com/" + typ}, {"client_id", "secoda-" + strconv.Itoa(ord)}}
	}
	last := w.generatedUpdatedAt(idx)
	return record{
		{"id", w.ID(idx)},
		{"name", w.title(idx)},
		{"type", typ},
		{"credentials", creds},
		{"workspace_id", w.wsID},
		{"teams", w.ids(kTeam, idx, 74, 2)},
		{"created_at", w.createdAt(idx)},
		{"scheduled_extractions_enabled", !w.chance(idx, 90, 0.2)},
		{"scheduled_extractions_frequency", pick(w, idx, 91, []string{"daily", "hourly", "weekly"})},
		{"scheduled_extractions_hour", w.intn(idx, 92, 24)},
		{"scheduled_extractions_last_run", last},
		{"properties", record{{"extraction_status", pick(w, idx, 93, []string{"success", "success", "failed"})}, {"resources_extracted", w.intn(idx, 94, 100000)}}},
		{"preview_access_enabled", w.chance(idx, 95, 0.5)},
		{"preview_access_users", w.ids(kUser, idx, 96, 3)},
	}
}

func (w *Workspace) renderDocument(idx, ord int, v view) record {
	id := w.ID(idx)
	var parent, parentRef any
	if ord > 0 && w.chance(idx, 100, 0.3) {
		pidx := w.index(kDocument, w.intn(idx, 101, ord))
		parent = w.ID(pidx)
		parentRef = record{{"id", parent}, {"title", w.title(pidx)}, {"entity_type", "document"}}
	}
	r := record{
		{"id", id},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
		{"entity_type", "document"},
		{"title", w.title(idx)},
		{"description", w.description(idx)},
		{"definition", w.definition(idx)},
		{"icon", pick(w, idx, 102, []string{"📄", "📘", "🧭", ""})},
	}
	if v == viewDetail {
		r = append(r, field{"parent", parentRef})
	} else {
		r = append(r, field{"parent_id", parent})
	}
	return append(r,
		field{"owners", w.ids(kUser, idx, 70, 2)},
		field{"collections", w.ids(kCollection, idx, 72, 2)},
		field{"tags", w.ids(kTag, idx, 73, 2)},
		field{"teams", w.ids(kTeam, idx, 74, 1)},
		field{"published", !w.chance(idx, 75, 0.2)},
		field{"archived", w.chance(idx, 76, 0.05)},
		field{"workspace_id", w.wsID},
		field{"url", w.url(kDocument, id)},
		field{"properties", record{{"custom", w.customProperties(idx)}}},
	)
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

func (w *Workspace) renderQuestion(idx, ord int) record {
	id := w.ID(idx)
	status := pick(w, idx, 110, []string{"open", "answered", "answered", "closed"})
	var answer any
	if status == "answered" && w.lay.RepliesPerQuestion > 0 {
		answer = w.ID(w.index(kReply, ord*w.lay.RepliesPerQuestion))
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
		{"answer", answer},
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

func (w *Workspace) renderReply(idx, ord int) record {
	_, q, _ := w.parentOf(kReply, ord)
	return record{
		{"id", w.ID(idx)},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
		{"question", w.ID(w.index(kQuestion, q))},
		{"definition", "<p>" + pick(w, idx, 120, sentences) + "</p>"},
		{"owners", w.ids(kUser, idx, 70, 1)},
		{"accepted_answer", ord%w.lay.RepliesPerQuestion == 0},
		{"reactions", record{{"👍", w.intn(idx, 114, 4)}}},
	}
}

func (w *Workspace) renderUser(idx, ord int) record {
	first := pick(w, idx, 130, firstNames)
	last := pick(w, idx, 131, lastNames)
	service := ord > 0 && w.chance(idx, 132, 0.05)
	var lastLogin any
	if !w.chance(idx, 133, 0.15) {
		lastLogin = w.generatedUpdatedAt(idx)
	}
	r := record{
		{"id", w.ID(idx)},
		{"first_name", first},
		{"last_name", last},
		{"email", strings.ToLower(strings.NewReplacer("'", "", " ", "").Replace(first+"."+last)) + strconv.Itoa(ord) + "@example.com"},
		{"role", pick(w, idx, 134, roles)},
		{"user_groups", w.ids(kGroup, idx, 135, 2)},
		{"is_service_account", service},
		{"disabled", w.chance(idx, 136, 0.05)},
		{"last_login", lastLogin},
		{"created_at", w.createdAt(idx)},
	}
	// The flag was renamed between API versions; a loader has to take both.
	if ord%2 == 0 {
		r = append(r, field{"onboarding_complete", true})
	} else {
		r = append(r, field{"onboarding_completed", w.chance(idx, 137, 0.8)})
	}
	return r
}

func (w *Workspace) renderTeam(idx, ord int) record {
	typ := "OPEN"
	if ord%3 == 2 {
		typ = "CLOSED"
	}
	return record{
		{"id", w.ID(idx)},
		{"name", pick(w, idx, 140, []string{"Analytics", "Data platform", "Finance", "Growth", "Équipe produit", "Ops"}) + suffix(ord/6)},
		{"icon", pick(w, idx, 141, []string{"🏠", "📊", "💼", "🧪"})},
		{"type", typ},
		{"description", w.description(idx)},
		{"sidebar_settings", record{{"home", true}, {"catalog", true}, {"collections", w.chance(idx, 142, 0.8)},
			{"documents", w.chance(idx, 143, 0.8)}, {"glossary", w.chance(idx, 144, 0.7)}, {"questions", w.chance(idx, 145, 0.5)}}},
		{"archived", ord > 0 && ord%7 == 6},
		{"is_default_team", ord == 0},
	}
}

func (w *Workspace) renderGroup(idx, ord int) record {
	return record{
		{"id", w.ID(idx)},
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
		{"name", tagNames[ord%len(tagNames)] + suffix(ord/len(tagNames))},
		{"description", w.description(idx)},
		{"color", pick(w, idx, 162, colors)},
		{"integration_id", integration},
		{"workspace_id", w.wsID},
	}
}

func (w *Workspace) renderLineage(idx, ord int) record {
	// Mostly table to table; one edge in five feeds a dashboard or chart.
	from := w.index(kTable, w.intn(idx, 170, max(1, w.count[kTable])))
	var to int
	if w.chance(idx, 171, 0.2) && w.count[kChart] > 0 {
		to = w.index(kChart, w.intn(idx, 172, w.count[kChart]))
	} else {
		to = w.index(kTable, w.intn(idx, 173, max(1, w.count[kTable])))
	}
	fromID, toID := w.ID(from), w.ID(to)
	return record{
		{"id", w.ID(idx)},
		{"created_at", w.createdAt(idx)},
		{"from_entity", fromID},
		{"to_entity", toID},
		{"from_entity_id", fromID},
		{"to_entity_id", toID},
		{"direction", pick(w, idx, 174, []string{"DOWNSTREAM", "UPSTREAM"})},
		{"is_manual", true},
		{"integration_type", pick(w, idx, 175, []string{"dbt", "snowflake", "looker", "manual"})},
	}
}

func (w *Workspace) renderMonitor(idx, ord int) record {
	target := w.monitorTarget(idx)
	return record{
		{"id", w.ID(idx)},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
		{"title", pick(w, idx, 181, monitorMetrics) + " on " + w.title(target)},
		{"target", w.ID(target)},
		{"metric_type", pick(w, idx, 181, monitorMetrics)},
		{"status", pick(w, idx, 182, []string{"normal", "normal", "incident", "learning"})},
		{"frequency", pick(w, idx, 183, []string{"hourly", "daily"})},
		{"condition", record{{"min", nilOr(w.chance(idx, 184, 0.5), float64(w.intn(idx, 185, 100)))}, {"max", float64(100 + w.intn(idx, 186, 10000))}}},
		{"is_enabled", !w.chance(idx, 187, 0.1)},
		{"integration", w.integrationID(kTable, target-w.start[kTable])},
		{"last_run_at", w.generatedUpdatedAt(idx)},
	}
}

// monitorTarget is the table a monitor watches.
func (w *Workspace) monitorTarget(idx int) int {
	return w.index(kTable, w.intn(idx, 180, max(1, w.count[kTable])))
}

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

func (w *Workspace) renderCustomProperty(idx, ord int) record {
	typ := propertyDefs[ord%len(propertyDefs)].typ
	options := []string{}
	if typ == "select" {
		options = []string{"Gold", "Silver", "Bronze"}
	}
	return record{
		{"id", w.ID(idx)},
		{"name", w.propertyName(ord)},
		{"type", typ},
		{"description", w.description(idx)},
		{"options", options},
		{"order", ord},
		{"created_at", w.createdAt(idx)},
		{"updated_at", w.generatedUpdatedAt(idx)},
	}
}

func nilOr(isNil bool, v any) any {
	if isNil {
		return nil
	}
	return v
}
