import { render } from 'preact';
import { App } from './App.js';
import { showHiddenCharacters } from './visible-text-hook.js';
import './styles.css';

showHiddenCharacters();
const root = document.getElementById('app');
if (root) render(<App />, root);
