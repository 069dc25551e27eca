package simulator

// hasUpdatedAt tells the kinds whose records carry updated_at (and so take a cursor).
// Users, groups, custom property definitions and the audit log carry none: the doc
// samples of those show no updated_at.
func hasUpdatedAt(k kind) bool {
	switch k {
	case kUser, kGroup, kCustomProperty, kAuditLog:
		return false
	}
	return true
}

// hasCreatedAt tells the kinds whose records carry created_at: users and custom property
// definitions do not, in the doc samples.
func hasCreatedAt(k kind) bool { return k != kUser && k != kCustomProperty }

// cheapValue computes one field of the record as view v shows it, without building the
// record, so that sorting and filtering a million entries renders only the pages served;
// ok is false when the field needs the whole record. Every value here is the one the
// record carries (TestCheapValuesAreTheRecords holds them to it), except the virtual
// integration_type of a lineage edge, which the record does not show.
func (w *Workspace) cheapValue(idx int, field string, v view) (any, bool) {
	k, ord := w.ordinal(idx)
	catalog := isCatalog(k)
	switch field {
	case "id":
		return w.ID(idx), true
	case "updated_at":
		if hasUpdatedAt(k) {
			return w.generatedUpdatedAt(idx), true
		}
	case "created_at":
		if k == kAuditLog {
			return w.auditAt(ord), true
		}
		if hasCreatedAt(k) {
			return w.createdAt(idx), true
		}
	case "external_usage":
		if catalog {
			return w.externalUsage(idx), true
		}
	case "internal_usage":
		if catalog {
			return w.internalUsage(idx), true
		}
	case "total_usage":
		if catalog {
			return w.externalUsage(idx) + w.internalUsage(idx), true
		}
	case "entity_type":
		if catalog || k == kDocument || k == kCollection || k == kQuestion {
			return entityType(k), true
		}
	case "title":
		if catalog || k == kDocument || k == kCollection || k == kQuestion {
			return w.title(idx), true
		}
	case "type":
		if catalog {
			return w.catalogType(k, idx), true
		}
	case "integration":
		if catalog {
			return w.integrationID(k, ord), true
		}
	case "parent_id", "parent":
		if (field == "parent") != (v == viewDetail) {
			break
		}
		if catalog {
			return w.parentID(k, ord), true
		}
		if k == kDocument {
			return w.documentParent(idx, ord), true
		}
	case "schema":
		if catalog {
			return w.schemaTitle(k, ord), true
		}
	case "teams":
		if catalog {
			return w.ids(kTeam, idx, 74, 2), true
		}
	case "table_title":
		if k == kColumn {
			t, _ := w.columnPlace(ord)
			return w.title(w.index(kTable, t)), true
		}
	case "from_entity_id", "to_entity_id", "direction":
		if k == kLineage {
			from, to, dir := w.lineageEdge(ord)
			switch field {
			case "from_entity_id":
				return w.ID(from), true
			case "to_entity_id":
				return w.ID(to), true
			}
			return dir, true
		}
	case "integration_type":
		if k == kLineage {
			return w.lineageIntegrationType(ord), true
		}
	}
	return nil, false
}
