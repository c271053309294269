// Package godoterr holds Godot's Error enum (core/error/error_list.h) as Go
// error values, shared by package peer (which exports them) and package
// variant (which returns some of them), so that both packages' sentinels are
// the same values: variant.ErrInvalidData == peer.ErrInvalidData.
package godoterr

import "strconv"

// Error is one Godot Error enum value. The package-level values are the only
// ones; compare them with == or errors.Is.
type Error struct {
	code int
	name string
}

// Code returns Godot's numeric value, e.g. 2 for ErrUnavailable.
func (e *Error) Code() int { return e.code }

// Name returns Godot's constant name, e.g. "ERR_UNAVAILABLE".
func (e *Error) Name() string { return e.name }

func (e *Error) Error() string { return "godot: " + e.name + " (" + strconv.Itoa(e.code) + ")" }

// Godot's error set. The numbering is Godot 4's and stable.
var (
	ErrFailed                  = &Error{1, "FAILED"}
	ErrUnavailable             = &Error{2, "ERR_UNAVAILABLE"}
	ErrUnconfigured            = &Error{3, "ERR_UNCONFIGURED"}
	ErrUnauthorized            = &Error{4, "ERR_UNAUTHORIZED"}
	ErrParameterRangeError     = &Error{5, "ERR_PARAMETER_RANGE_ERROR"}
	ErrOutOfMemory             = &Error{6, "ERR_OUT_OF_MEMORY"}
	ErrFileNotFound            = &Error{7, "ERR_FILE_NOT_FOUND"}
	ErrFileBadDrive            = &Error{8, "ERR_FILE_BAD_DRIVE"}
	ErrFileBadPath             = &Error{9, "ERR_FILE_BAD_PATH"}
	ErrFileNoPermission        = &Error{10, "ERR_FILE_NO_PERMISSION"}
	ErrFileAlreadyInUse        = &Error{11, "ERR_FILE_ALREADY_IN_USE"}
	ErrFileCantOpen            = &Error{12, "ERR_FILE_CANT_OPEN"}
	ErrFileCantWrite           = &Error{13, "ERR_FILE_CANT_WRITE"}
	ErrFileCantRead            = &Error{14, "ERR_FILE_CANT_READ"}
	ErrFileUnrecognized        = &Error{15, "ERR_FILE_UNRECOGNIZED"}
	ErrFileCorrupt             = &Error{16, "ERR_FILE_CORRUPT"}
	ErrFileMissingDependencies = &Error{17, "ERR_FILE_MISSING_DEPENDENCIES"}
	ErrFileEOF                 = &Error{18, "ERR_FILE_EOF"}
	ErrCantOpen                = &Error{19, "ERR_CANT_OPEN"}
	ErrCantCreate              = &Error{20, "ERR_CANT_CREATE"}
	ErrQueryFailed             = &Error{21, "ERR_QUERY_FAILED"}
	ErrAlreadyInUse            = &Error{22, "ERR_ALREADY_IN_USE"}
	ErrLocked                  = &Error{23, "ERR_LOCKED"}
	ErrTimeout                 = &Error{24, "ERR_TIMEOUT"}
	ErrCantConnect             = &Error{25, "ERR_CANT_CONNECT"}
	ErrCantResolve             = &Error{26, "ERR_CANT_RESOLVE"}
	ErrConnectionError         = &Error{27, "ERR_CONNECTION_ERROR"}
	ErrCantAcquireResource     = &Error{28, "ERR_CANT_ACQUIRE_RESOURCE"}
	ErrCantFork                = &Error{29, "ERR_CANT_FORK"}
	ErrInvalidData             = &Error{30, "ERR_INVALID_DATA"}
	ErrInvalidParameter        = &Error{31, "ERR_INVALID_PARAMETER"}
	ErrAlreadyExists           = &Error{32, "ERR_ALREADY_EXISTS"}
	ErrDoesNotExist            = &Error{33, "ERR_DOES_NOT_EXIST"}
	ErrDatabaseCantRead        = &Error{34, "ERR_DATABASE_CANT_READ"}
	ErrDatabaseCantWrite       = &Error{35, "ERR_DATABASE_CANT_WRITE"}
	ErrCompilationFailed       = &Error{36, "ERR_COMPILATION_FAILED"}
	ErrMethodNotFound          = &Error{37, "ERR_METHOD_NOT_FOUND"}
	ErrLinkFailed              = &Error{38, "ERR_LINK_FAILED"}
	ErrScriptFailed            = &Error{39, "ERR_SCRIPT_FAILED"}
	ErrCyclicLink              = &Error{40, "ERR_CYCLIC_LINK"}
	ErrInvalidDeclaration      = &Error{41, "ERR_INVALID_DECLARATION"}
	ErrDuplicateSymbol         = &Error{42, "ERR_DUPLICATE_SYMBOL"}
	ErrParseError              = &Error{43, "ERR_PARSE_ERROR"}
	ErrBusy                    = &Error{44, "ERR_BUSY"}
	ErrSkip                    = &Error{45, "ERR_SKIP"}
	ErrHelp                    = &Error{46, "ERR_HELP"}
	ErrBug                     = &Error{47, "ERR_BUG"}
	ErrPrinterOnFire           = &Error{48, "ERR_PRINTER_ON_FIRE"}
)

var byCode = [...]*Error{
	nil, ErrFailed, ErrUnavailable, ErrUnconfigured, ErrUnauthorized, ErrParameterRangeError, ErrOutOfMemory, ErrFileNotFound, ErrFileBadDrive, ErrFileBadPath, ErrFileNoPermission, ErrFileAlreadyInUse, ErrFileCantOpen, ErrFileCantWrite, ErrFileCantRead, ErrFileUnrecognized, ErrFileCorrupt, ErrFileMissingDependencies, ErrFileEOF, ErrCantOpen, ErrCantCreate, ErrQueryFailed, ErrAlreadyInUse, ErrLocked, ErrTimeout, ErrCantConnect, ErrCantResolve, ErrConnectionError, ErrCantAcquireResource, ErrCantFork, ErrInvalidData, ErrInvalidParameter, ErrAlreadyExists, ErrDoesNotExist, ErrDatabaseCantRead, ErrDatabaseCantWrite, ErrCompilationFailed, ErrMethodNotFound, ErrLinkFailed, ErrScriptFailed, ErrCyclicLink, ErrInvalidDeclaration, ErrDuplicateSymbol, ErrParseError, ErrBusy, ErrSkip, ErrHelp, ErrBug, ErrPrinterOnFire,
}

// FromCode returns the value for a Godot error code, or nil for OK (0) and
// for codes Godot does not define.
func FromCode(code int) *Error {
	if code <= 0 || code >= len(byCode) {
		return nil
	}
	return byCode[code]
}
