import { inputClass as field, buttonClass as look } from '../ui/button';

/**
 * Kept names for the timeline's and the dead-letter page's forms: the dialog is the console's
 * Radix one (app/_components/ui/dialog.tsx), the classes are its buttons and fields.
 */
export { ConfirmDialog } from '../ui/dialog';

export const buttonClass = look('secondary');
export const primaryClass = look('primary');
export const inputClass = field;
