import { render } from 'preact';
import '../styles/app.css';
import { App } from './app.js';

// Entry of the dashboard bundle (scripts/build-web.mjs). The page's index.html loads only this file and its CSS.
render(<App />, document.getElementById('app')!);
