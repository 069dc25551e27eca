package normalize

import "fmt"

// ContractMode is what happens when data does not fit the schema, as dlt's schema
// contracts have it.
type ContractMode string

const (
	// Evolve adds the table, the column or a variant column. The default.
	Evolve ContractMode = "evolve"
	// Freeze stops the run with an error naming what did not fit.
	Freeze ContractMode = "freeze"
	// DiscardRow drops the whole row that did not fit.
	DiscardRow ContractMode = "discard_row"
	// DiscardValue drops the value that did not fit and keeps the rest of the row.
	DiscardValue ContractMode = "discard_value"
)

// ContractModes lists the modes, for messages and validation.
var ContractModes = []ContractMode{Evolve, Freeze, DiscardRow, DiscardValue}

// ParseContractMode checks a mode's spelling.
func ParseContractMode(s string) (ContractMode, error) {
	for _, m := range ContractModes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown schema contract mode %q: use evolve, freeze, discard_row or discard_value", s)
}

// Contract says, for new tables, new columns and values of another type, what to do.
type Contract struct {
	Tables   ContractMode `json:"tables"`
	Columns  ContractMode `json:"columns"`
	DataType ContractMode `json:"data_type"`
}

// EvolveAll is the default contract: nothing is rejected.
var EvolveAll = Contract{Tables: Evolve, Columns: Evolve, DataType: Evolve}

// Uniform is the contract with one mode for all three.
func Uniform(m ContractMode) Contract { return Contract{Tables: m, Columns: m, DataType: m} }
