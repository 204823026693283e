import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Capability, StateValue } from '../../../server/core/model.js';
import { onOff, propertyLabel } from '../model/format.js';

export interface ControlProps {
  deviceName: string;
  cap: Capability;
  value: StateValue | undefined;
  /** The value a command asked for, while the device has not confirmed it. */
  pending?: StateValue;
  disabled?: boolean;
  send: (value: StateValue) => void;
}

/** The control that fits the capability: a switch for binary, a slider for numeric, a select for enum. */
export function Control(props: ControlProps): JSX.Element | null {
  if (!props.cap.access.settable) return null;
  switch (props.cap.kind) {
    case 'binary':
      return <Toggle {...props} />;
    case 'numeric':
      return props.cap.min !== undefined && props.cap.max !== undefined ? <Slider {...props} /> : <NumberInput {...props} />;
    case 'enum':
      return <Select {...props} />;
    default:
      return null;
  }
}

function Toggle({ deviceName, cap, value, pending, disabled, send }: ControlProps): JSX.Element {
  const on = onOff(value) === true;
  const wanted = pending === undefined ? undefined : onOff(pending);
  return (
    <button
      type="button"
      role="switch"
      class="switch"
      aria-checked={on}
      aria-label={`${deviceName}: ${propertyLabel(cap.property)}`}
      data-pending={wanted !== undefined || undefined}
      disabled={disabled}
      onClick={() => send(!(wanted ?? on))}
    >
      <span class="switch-knob" aria-hidden="true" />
    </button>
  );
}

function Slider({ deviceName, cap, value, pending, disabled, send }: ControlProps): JSX.Element {
  const reported = typeof value === 'number' ? value : Number(value ?? cap.min);
  // While dragging, show the thumb where the user holds it; otherwise where the device (or the command) says.
  const [dragging, setDragging] = useState<number | undefined>(undefined);
  const shown = dragging ?? (typeof pending === 'number' ? pending : reported);
  useEffect(() => setDragging(undefined), [value]);
  return (
    <input
      type="range"
      class="slider"
      min={cap.min}
      max={cap.max}
      step={cap.step ?? 'any'}
      value={Number.isFinite(shown) ? shown : cap.min}
      disabled={disabled}
      aria-label={`${deviceName}: ${propertyLabel(cap.property)}`}
      aria-valuetext={`${shown}${cap.unit ? ` ${cap.unit}` : ''}`}
      onInput={(e) => setDragging(Number(e.currentTarget.value))}
      onChange={(e) => {
        setDragging(undefined);
        send(Number(e.currentTarget.value));
      }}
    />
  );
}

function NumberInput({ deviceName, cap, value, disabled, send }: ControlProps): JSX.Element {
  return (
    <form class="number-set" onSubmit={(e) => {
      e.preventDefault();
      const input = e.currentTarget.elements.namedItem('v') as HTMLInputElement;
      if (input.value !== '') send(Number(input.value));
    }}>
      <input name="v" type="number" step={cap.step ?? 'any'} min={cap.min} max={cap.max} placeholder={typeof value === 'number' ? String(value) : ''}
        aria-label={`${deviceName}: ${propertyLabel(cap.property)}`} disabled={disabled} />
      <button type="submit" disabled={disabled}>Set</button>
    </form>
  );
}

function Select({ deviceName, cap, value, pending, disabled, send }: ControlProps): JSX.Element {
  const shown = typeof pending === 'string' ? pending : typeof value === 'string' ? value : '';
  return (
    <select value={shown} disabled={disabled} aria-label={`${deviceName}: ${propertyLabel(cap.property)}`}
      onChange={(e) => send(e.currentTarget.value)}>
      {shown === '' && <option value="">—</option>}
      {(cap.values ?? []).map((v) => <option key={v} value={v}>{v}</option>)}
    </select>
  );
}
