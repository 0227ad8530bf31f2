// The membership algorithm and EVS recovery (design 5, 6): part of the one ring core state
// machine (../ring/core.ts), sharing its state object (../ring/state.ts).
//
// Modules: transitions.ts (token loss, SEG, REPRESENTED, GATHER, Form_or_fail, lookup, timers),
// messages.ts (ALIVE, JOIN, REFER, foreign packets), form.ts (FORM1, FORM2), evs.ts (commit,
// back-off, the delivery sequence and install at the end of recovery), reps.ts (representative
// rules), util.ts.
export { compareReps, insertMember, insertRep, potentialRepsFor, smallestMember, smallestRep, sortReps } from './reps.ts';
